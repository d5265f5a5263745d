// Live chat: the customer widget on portal pages, and the console's chat pages.
// Every chat event has a sequence number; the socket is reopened with ?since=<last seen>,
// so nothing is lost or shown twice after a reconnect.
(function () {
  "use strict";
  var wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function newId() {
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }

  // A socket that reconnects with the last sequence number it saw.
  function Channel(urlFor, handlers) {
    this.urlFor = urlFor; this.h = handlers; this.last = 0; this.pending = [];
    this.delay = 500; this.stopped = false; this.ws = null;
  }
  Channel.prototype.open = function () {
    var self = this;
    var ws = this.ws = new WebSocket(this.urlFor(this.last));
    ws.onopen = function () {
      self.delay = 500;
      self.pending.forEach(function (f) { ws.send(JSON.stringify(f)); });
    };
    ws.onmessage = function (m) {
      var f = JSON.parse(m.data);
      if (f.type === "message") {
        if (f.seq <= self.last) return;            // already shown
        if (f.seq > self.last + 1) {               // a gap: ask for what is missing
          ws.send(JSON.stringify({type: "resume", since: self.last}));
          return;
        }
        self.last = f.seq;
        self.pending = self.pending.filter(function (p) { return p.client_id !== f.client_id; });
      }
      self.h(f);
    };
    ws.onclose = function (e) {
      if (self.stopped || (e.code >= 4000 && e.code < 5000) || e.code === 1008) return;
      setTimeout(function () { self.open(); }, self.delay);
      self.delay = Math.min(self.delay * 2, 10000);
    };
  };
  Channel.prototype.send = function (frame) {
    if (frame.type === "message") this.pending.push(frame);
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(frame));
  };

  function addEvent(log, f, me) {
    var li = el("li", "chat-msg from-" + f.author_kind + " kind-" + f.kind);
    li.dataset.seq = f.seq;
    li.appendChild(el("span", "who", f.author_kind === me ? "You" : f.author_name));
    li.appendChild(el("span", "body", f.body));
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  // ---- the customer widget -------------------------------------------------------------
  function widget(script) {
    var store = window.sessionStorage, saved = {};
    try { saved = JSON.parse(store.getItem("ombud-chat") || "{}"); } catch (e) { saved = {}; }
    var launcher = el("button", "chat-launcher", "Chat with us");
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    var panel = el("section", "chat-panel");
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "Chat");
    var head = el("header", "chat-head");
    head.appendChild(el("h2", "", "Chat"));
    var status = el("span", "chat-state", "");
    head.appendChild(status);
    var shut = el("button", "link", "Close"); shut.type = "button";
    head.appendChild(shut);
    var log = el("ol", "chat-log");
    log.setAttribute("role", "log"); log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", "Conversation");
    var alert = el("p", "chat-alert"); alert.setAttribute("role", "alert");
    var form = el("form", "chat-form");
    var label = el("label", "", "Your message"); label.htmlFor = "chat-input";
    var input = el("textarea"); input.id = "chat-input"; input.rows = 2; input.maxLength = 4000;
    var send = el("button", "", "Send"); send.type = "submit";
    var person = el("button", "secondary", "Talk to a person"); person.type = "button";
    form.appendChild(label); form.appendChild(input); form.appendChild(send);
    form.appendChild(person);
    panel.appendChild(head); panel.appendChild(log); panel.appendChild(alert);
    panel.appendChild(form);
    document.body.appendChild(launcher); document.body.appendChild(panel);

    var chan = null, key = saved.key || "";
    function remember() { store.setItem("ombud-chat", JSON.stringify({key: key})); }
    function show(st) {
      status.textContent = {bot: "Assistant", waiting: "Waiting for a person",
                            live: "With our team", closed: "Closed"}[st] || "";
      person.hidden = st !== "bot";
      if (st === "closed") { key = ""; remember(); }
    }
    function start() {
      if (chan) return;
      chan = new Channel(function (since) {
        var q = key ? "chat=" + encodeURIComponent(key) + "&since=" + since
                    : "case=" + encodeURIComponent(script.dataset.case || "") +
                      "&lang=" + encodeURIComponent(document.documentElement.lang || "en");
        return wsBase + "/chat/ws?" + q;
      }, function (f) {
        if (f.type === "hello") { key = f.chat.key; remember(); show(f.chat.status); }
        else if (f.type === "message") {
          addEvent(log, f, "customer");
          if (f.kind === "handover") show("waiting");
          if (f.kind === "joined") show("live");
          if (f.kind === "closed") show("closed");
        } else if (f.type === "error") { alert.textContent = f.detail; }
      });
      chan.open();
    }
    launcher.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      launcher.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) { start(); input.focus(); }
    });
    shut.addEventListener("click", function () { panel.hidden = true; launcher.focus(); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = input.value.trim();
      if (!body) return;
      alert.textContent = "";
      chan.send({type: "message", body: body, client_id: newId()});
      input.value = "";
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });
    person.addEventListener("click", function () { chan.send({type: "handover"}); });
    if (key) start();
  }

  // ---- the console ---------------------------------------------------------------------
  function consoleChat(box) {
    var log = box.querySelector(".chat-log"), alert = box.querySelector("[data-chat-alert]");
    var form = box.querySelector("[data-chat-form]");
    var chan = new Channel(function (since) {
      return wsBase + "/console/chats/" + encodeURIComponent(box.dataset.key) + "/ws?since=" + since;
    }, function (f) {
      if (f.type === "message") {
        addEvent(log, f);
        if (f.kind === "closed" && form) form.hidden = true;
      } else if (f.type === "error") { alert.textContent = f.detail; }
    });
    chan.last = parseInt(box.dataset.since || "0", 10);
    chan.open();
    if (!form) return;
    var input = form.querySelector("textarea");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = input.value.trim();
      if (!body) return;
      alert.textContent = "";
      chan.send({type: "message", body: body, client_id: newId()});
      input.value = "";
    });
    form.querySelector("[data-chat-close]").addEventListener("click", function () {
      chan.send({type: "close"});
    });
  }

  function lobby() {
    var ws = new WebSocket(wsBase + "/console/chats/ws"), leaving = false;
    document.addEventListener("submit", function () { leaving = true; });  // a pick-up is on its way
    ws.onmessage = function (m) {
      if (!leaving && JSON.parse(m.data).type === "lobby") location.reload();
    };
  }

  var me = document.currentScript;
  function boot() {
    if (me && me.hasAttribute("data-chat-widget")) widget(me);
    var box = document.querySelector("[data-chat-console]");
    if (box) consoleChat(box);
    if (document.querySelector("[data-chat-lobby]")) lobby();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
