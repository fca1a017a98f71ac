// Antrian live pages: server-sent events, falling back to polling. No libraries.
// Data goes into the page with textContent only (never innerHTML).
(function () {
  "use strict";
  var body = document.body;
  var page = body.getAttribute("data-page");
  if (!page) { return; }
  var liveUrl = body.getAttribute("data-live");
  var apiUrl = body.getAttribute("data-api");
  var alerted = {};  // "near", "called": each vibrates and notifies once

  function set(root, field, value) {
    var el = root.querySelector('[data-f="' + field + '"]');
    if (el) { el.textContent = (value === null || value === undefined) ? "-" : String(value); }
  }

  function renderBoard(view) {
    view.services.forEach(function (s) {
      var row = document.querySelector('tr[data-service="' + s.id + '"]');
      if (!row) { return; }
      set(row, "waiting", s.waiting);
      set(row, "last_called", s.last_called);
      set(row, "estimate_text", s.estimate_text);
      set(row, "standard_text", s.standard_text);
      row.className = s.open ? "" : "closed";
    });
    var list = document.getElementById("calls");
    if (!list) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!view.calls.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = list.getAttribute("data-empty");
      list.appendChild(none);
    }
    view.calls.forEach(function (c) {
      var li = document.createElement("li");
      var b = document.createElement("b");
      b.textContent = c.number;
      var small = document.createElement("small");
      small.textContent = c.time_text;
      li.appendChild(b);
      li.appendChild(document.createTextNode(" → " + c.counter_name + " "));
      li.appendChild(small);
      list.appendChild(li);
    });
  }

  function alertOnce(kind, text) {
    if (alerted[kind]) { return; }
    alerted[kind] = true;
    if (navigator.vibrate) { navigator.vibrate([400, 150, 400]); }
    if (window.Notification && Notification.permission === "granted") {
      try { new Notification(text); } catch (e) { /* some phones only allow it from a worker */ }
    }
  }

  function renderTicket(view) {
    var box = document.getElementById("ticket");
    if (!box || !view.number) { return; }
    box.className = "ticket state-" + view.state;
    set(box, "state_text", view.state_text);
    set(box, "ahead", view.ahead);
    set(box, "estimate_text", view.estimate_text);
    set(box, "last_called", view.last_called);
    Array.prototype.forEach.call(box.querySelectorAll("[data-when]"), function (el) {
      el.hidden = el.getAttribute("data-when") !== view.state;
    });
    var near = document.getElementById("near");
    if (near) { near.hidden = !view.near; }  // only while waiting: once called, state_text says where to go
    if (view.alert === "near") { alertOnce("near", body.getAttribute("data-near")); }
    if (view.alert === "called") { alertOnce("called", view.state_text); }
    if (!view.active) {
      var form = document.getElementById("cancel");
      if (form) { form.hidden = true; }
      var notify = document.getElementById("notify");
      if (notify) { notify.hidden = true; }
    }
  }

  var lastReload = 0;
  function renderDashboard() {
    // The dashboard is small: a fresh server render is simpler than patching five tables.
    var now = Date.now();
    if (now - lastReload > 2000) { lastReload = now; window.location.reload(); }
  }

  var render = { board: renderBoard, ticket: renderTicket, dashboard: renderDashboard }[page];
  var first = true;
  function onUpdate(text) {
    var view;
    try { view = JSON.parse(text); } catch (e) { return; }
    if (page === "dashboard" && first) { first = false; return; }  // the page already shows it
    render(view);
    body.setAttribute("data-version", String(view.version));
  }

  function poll() {
    if (!apiUrl || !window.XMLHttpRequest) { return; }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", apiUrl);
    xhr.onload = function () { if (xhr.status === 200) { onUpdate(xhr.responseText); } };
    xhr.send();
    window.setTimeout(poll, 10000);
  }

  if (window.EventSource && liveUrl) {
    var source = new EventSource(liveUrl);
    source.addEventListener("update", function (e) {
      document.getElementById("live-off").hidden = true;
      onUpdate(e.data);
    });
    source.onerror = function () {
      if (source.readyState === 2) {  // CLOSED: the browser gave up; poll instead
        document.getElementById("live-off").hidden = false;
        window.setTimeout(poll, 10000);
      }
    };
  } else if (page === "dashboard") {
    window.setTimeout(function () { window.location.reload(); }, 20000);
  } else {
    window.setTimeout(poll, 10000);
  }

  var notify = document.getElementById("notify");
  if (notify && window.Notification && Notification.permission === "default") {
    notify.hidden = false;
    notify.addEventListener("click", function () {
      Notification.requestPermission();
      notify.hidden = true;
    });
  }
  var cancel = document.getElementById("cancel");
  if (cancel) {
    cancel.addEventListener("submit", function (e) {
      if (!window.confirm(cancel.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  }
})();
