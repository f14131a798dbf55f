// The views page: picking rows for bulk actions, and counts that follow changes made elsewhere.
// The server sends a bare "tickets.changed" nudge (at most about once a second); this page then
// asks for its counts, at most once every two seconds, one request at a time.
(function () {
  "use strict";

  // -- picking rows --------------------------------------------------------------------------
  var all = document.getElementById("pick-all");
  var picked = document.getElementById("bulk-picked");
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("input[name=ticket][form=bulk]")); }
  function showPicked() {
    var n = boxes().filter(function (b) { return b.checked; }).length;
    if (picked) { picked.textContent = n === 0 ? "With the picked tickets:" : "With the " + n + " picked ticket" + (n === 1 ? "" : "s") + ":"; }
    if (all) {
      var count = boxes().length;
      all.checked = count > 0 && n === count;
      all.indeterminate = n > 0 && n < count;
    }
  }
  if (all) {
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      showPicked();
    });
  }
  boxes().forEach(function (b) { b.addEventListener("change", showPicked); });
  showPicked();

  // -- live counts ---------------------------------------------------------------------------
  var nav = document.getElementById("ticket-views");
  if (!nav || typeof window.io !== "function") { return; }
  var url = nav.getAttribute("data-counts-url");
  var MIN_GAP_MS = 2000;
  var last = 0;
  var inFlight = false;
  var again = false;
  var timer = null;

  function label(value, cap) {
    return value > cap ? cap.toLocaleString("en-US") + "+" : Number(value).toLocaleString("en-US");
  }

  function put(span, text) {
    if (!span || text === span.textContent) { return; }
    span.textContent = text;
    span.classList.add("changed");
    window.setTimeout(function () { span.classList.remove("changed"); }, 1500);
  }

  function refresh() {
    timer = null;
    if (inFlight) { again = true; return; }
    inFlight = true;
    last = Date.now();
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        Object.keys(data.views || {}).forEach(function (key) {
          put(document.querySelector("#ticket-views a[data-view='" + key + "'] .count"), label(data.views[key], data.cap));
        });
        Object.keys(data.saved || {}).forEach(function (key) {
          put(document.querySelector("#saved-views [data-saved='" + key + "'] .count"), label(data.saved[key], data.cap));
        });
        nav.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () { /* the next nudge tries again */ })
      .then(function () {
        inFlight = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    if (timer !== null) { return; }
    timer = window.setTimeout(refresh, Math.max(0, last + MIN_GAP_MS - Date.now()));
  }

  var socket = window.io({ namespace: "/tickets" });
  socket.on("connect", function () {
    nav.setAttribute("data-live", "yes");
    if (last !== 0) { schedule(); } // back after a break: changes may have been missed
  });
  socket.on("disconnect", function () { nav.setAttribute("data-live", "no"); });
  socket.on("tickets.changed", schedule);
})();
