// Press "/" to jump to the search box (when not typing in a field).
document.addEventListener("keydown", function (e) {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
  var t = e.target;
  if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  var box = document.querySelector("[data-search]");
  if (box) { e.preventDefault(); box.focus(); box.select(); }
});
