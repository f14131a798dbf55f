// The customer import page while its job runs: ask for the progress every second and show it;
// reload into the report (or the refusal) once the import has finished.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var url = box.dataset.progressUrl;
  var text = document.getElementById("progress-text");
  var bar = document.getElementById("progress-bar");
  var words = { reading: "Reading the file", checking: "Checking the rows", writing: "Storing the customers" };

  function show(p) {
    if (p.status === "done" || p.status === "failed") { window.location.reload(); return true; }
    if (p.status === "queued") { text.textContent = "Waiting for a worker to start the import…"; return false; }
    var phase = words[p.phase] || "Importing";
    if (p.total) {
      var share = Math.min(100, Math.round(100 * p.done / p.total));
      bar.value = share;
      text.textContent = phase + ": " + p.done.toLocaleString() + " of " + p.total.toLocaleString() + " rows (" + share + " %)";
    } else {
      bar.removeAttribute("value");
      text.textContent = phase + (p.done ? ": " + p.done.toLocaleString() + " rows" : "…");
    }
    return false;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { status: "unknown" }; })
      .then(function (p) { if (!show(p)) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
