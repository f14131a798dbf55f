// Pause / resume the call's recording (e.g. while the caller reads out card details).
// Included by the desktop with one line: it follows the desktop's snapshot of the live call,
// asks the server whether that call is being recorded, and adds its control to the call's
// buttons only then. Every change is a POST whose answer is what the control shows.
(function () {
  "use strict";
  let callSid = null;
  let state = null; // "in-progress" | "paused" | null (not recording)
  let busy = false;

  function control() {
    let button = document.getElementById("rec-toggle");
    if (button) { return button; }
    // Beside hold, mute and hang up in the call bar (the older layout: the call's button row).
    const row = document.getElementById("cc-primary") || document.querySelector("#call-controls .buttons");
    if (!row) { return null; }
    button = document.createElement("button");
    button.type = "button";
    button.id = "rec-toggle";
    button.className = "secondary rec-toggle";
    button.addEventListener("click", toggle);
    const status = document.createElement("span");
    status.id = "rec-status";
    status.className = "rec-status muted small";
    status.setAttribute("role", "status");
    row.append(button, status);
    return button;
  }

  function draw() {
    const button = control();
    if (!button) { return; }
    const status = document.getElementById("rec-status");
    button.hidden = !state;
    status.hidden = !state;
    if (!state) { return; }
    const paused = state === "paused";
    button.textContent = paused ? "Resume recording" : "Pause recording";
    button.dataset.recording = state; // not data-state: that names the agent's status buttons
    status.textContent = paused ? "● recording paused" : "● recording";
    status.classList.toggle("rec-paused", paused);
  }

  function showError(message) {
    const box = document.getElementById("cc-error");
    if (box) { box.textContent = message; box.hidden = !message; }
  }

  async function look(sid) {
    const resp = await fetch(`/recordings/calls/${encodeURIComponent(sid)}`, { credentials: "same-origin" });
    if (sid !== callSid) { return; } // another call since
    const data = resp.ok ? await resp.json() : {};
    state = data.recording ? data.status : null;
    draw();
  }

  async function toggle() {
    if (!callSid || !state || busy) { return; }
    busy = true;
    const verb = state === "paused" ? "resume" : "pause";
    try {
      const data = await window.postJson(`/recordings/calls/${encodeURIComponent(callSid)}/${verb}`, {});
      state = data.status;
      showError("");
    } catch (err) {
      showError(err.message);
    } finally {
      busy = false;
      draw();
    }
  }

  document.addEventListener("desktop:snapshot", (event) => {
    const controls = event.detail.controls || null;
    const sid = controls && controls.call_sid ? controls.call_sid : null;
    if (sid !== callSid) { callSid = sid; state = null; draw(); }
    if (sid && !busy) { look(sid); }
  });
})();
