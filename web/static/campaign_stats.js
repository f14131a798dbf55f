// The campaign page's figures, asked for again every three seconds while the page is open,
// so dials are seen rising as the pacer places them.
(function () {
  "use strict";
  var box = document.getElementById("campaign-stats");
  if (!box) { return; }
  function show(id, value) {
    var el = document.getElementById(id);
    if (el && value !== undefined && String(value) !== el.textContent) { el.textContent = String(value); }
  }
  function refresh() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        ["dialed", "answered", "connected", "abandoned", "refused"].forEach(function (k) { show("stat-" + k, data.totals[k]); });
        show("stat-ready", data.leads.ready || 0);
        show("campaign-status", data.status);
      })
      .catch(function () { /* the next tick tries again */ });
  }
  setInterval(refresh, 3000);
})();
