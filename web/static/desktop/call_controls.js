// desktop panel: call controls — hold/resume, mute, transfer (cold or after a consult), add a
// number, hang up. Drawn from the desktop:snapshot event; every action is a POST whose answer
// is followed by a refresh, so the panel always shows the server's truth.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let current = null;
  let targetsLoaded = false;

  function base() { return `/desktop/calls/${encodeURIComponent(current.call_sid)}`; }

  function showError(message) {
    $("cc-error").textContent = message || "";
    $("cc-error").hidden = !message;
  }

  async function act(path, body) {
    if (!current) { return; }
    showError("");
    try {
      await window.Desktop.post(`${base()}/${path}`, body || {});
    } catch (err) {
      showError(err.message);
    }
    await window.Desktop.refresh();
  }

  function fill(select, items, value, label, none) {
    select.replaceChildren();
    if (!items.length) {  // an empty list reads as broken: say why there is nothing to pick
      const option = document.createElement("option");
      option.value = "";
      option.textContent = none;
      select.append(option);
      return;
    }
    items.forEach((item) => {
      const option = document.createElement("option");
      option.value = String(item[value]);
      option.textContent = window.Desktop.text(item[label]);
      select.append(option);
    });
  }

  async function loadTargets() {
    const resp = await fetch("/desktop/calls/targets", { credentials: "same-origin" });
    if (!resp.ok) { return; }
    const data = await resp.json();
    fill($("cc-agent"), data.agents || [], "id", "name", "no agent available");
    fill($("cc-queue"), data.queues || [], "name", "label", "no queue");
    targetsLoaded = true;
  }

  function target() {
    const kind = $("cc-kind").value;
    if (kind === "agent") { return { agent_id: Number($("cc-agent").value) || null }; }
    if (kind === "queue") { return { queue: $("cc-queue").value }; }
    return { number: $("cc-number").value.trim() };
  }

  function render(controls) {
    current = controls;
    $("call-controls").hidden = !controls;
    $("cc-primary").hidden = !controls;  // hold, mute, hang up: in the call bar, only on a call
    if (!controls) { targetsLoaded = false; return; }
    $("cc-hold").textContent = controls.on_hold ? "Resume" : "Hold";
    $("cc-hold").dataset.onHold = controls.on_hold ? "1" : "0";
    $("cc-mute").textContent = controls.muted ? "Unmute" : "Mute";
    const status = [];
    if (controls.on_hold) { status.push("caller on hold"); }
    if (controls.muted) { status.push("you are muted"); }
    $("cc-status").textContent = status.join(" · ");
    $("cc-consulting").hidden = !controls.consult;
    document.querySelector("#call-controls .cc-transfer").hidden = Boolean(controls.consult);
    $("cc-consult-target").textContent = controls.consult ? window.Desktop.text(controls.consult.target) : "";
    $("cc-guests").textContent = (controls.guests || []).length ? `On the call: ${controls.guests.join(", ")}` : "";
    if (!targetsLoaded) { loadTargets(); }
  }

  $("cc-kind").addEventListener("change", () => {
    const kind = $("cc-kind").value;
    $("cc-agent").hidden = kind !== "agent";
    $("cc-queue").hidden = kind !== "queue";
    $("cc-number").hidden = kind !== "number";
    if (kind === "agent") { loadTargets(); }
  });
  $("cc-hold").addEventListener("click", () => act(current && current.on_hold ? "resume" : "hold"));
  $("cc-mute").addEventListener("click", () => act(current && current.muted ? "unmute" : "mute"));
  $("cc-hangup").addEventListener("click", () => act("hangup"));
  $("cc-transfer").addEventListener("click", () => act("transfer", target()));
  $("cc-consult").addEventListener("click", () => {
    if ($("cc-kind").value === "queue") { showError("A consult needs an agent or a number."); return; }
    act("consult", target());
  });
  $("cc-complete").addEventListener("click", () => act("consult/complete"));
  $("cc-cancel").addEventListener("click", () => act("consult/cancel"));
  $("cc-add").addEventListener("click", () => act("conference", { number: $("cc-guest").value.trim() }));

  function renderConsulted(consulted) {
    $("cc-consulted").hidden = !consulted;
    $("cc-consulted-by").textContent = consulted ? window.Desktop.text(consulted.by || "A colleague") : "";
  }

  document.addEventListener("desktop:snapshot", (event) => {
    render(event.detail.controls || null);
    renderConsulted(event.detail.consulted || null);
  });
})();
