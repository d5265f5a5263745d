// Forms marked data-once send once: their buttons are disabled as the form is submitted, so
// a double click cannot send a second request (the server answers a repeat the same anyway).
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (!form.hasAttribute || !form.hasAttribute("data-once")) return;
  if (form.dataset.sent) { e.preventDefault(); return; }
  form.dataset.sent = "1";
  setTimeout(function () {  // after the browser has taken the clicked button's value
    form.querySelectorAll("button, input[type=submit]").forEach(function (b) {
      b.disabled = true;
    });
  }, 0);
}, true);
