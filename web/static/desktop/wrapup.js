// desktop panel: wrap-up — disposition, notes, a ticket, a callback, with the wrap-up timer.
// Shown while the snapshot says a wrap-up is owed; submitting ends the wrap-up at once.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let owed = null;
  let timer = null;

  function showError(message) {
    $("wrapup-error").textContent = message || "";
    $("wrapup-error").hidden = !message;
  }

  function tick() {
    if (!owed || !owed.deadline) {
      $("wrapup-timer").textContent = "";
      return;
    }
    const left = Math.max(0, Math.round(owed.deadline - Date.now() / 1000));
    $("wrapup-timer").textContent = left > 0 ? `${left} s left` :
      (owed.auto_available ? "time is up" : "time is up: you stay not ready until you submit");
  }

  function render(wrapup) {
    const sameCall = owed && wrapup && owed.call_sid === wrapup.call_sid;
    owed = wrapup;
    $("wrapup").hidden = !wrapup;
    clearInterval(timer);
    if (!wrapup) { return; }
    const who = wrapup.customer || wrapup.from || "";
    $("wrapup-caller").textContent = `Call with ${window.Desktop.text(who)}`;
    if (!sameCall) {
      const select = $("wrapup-disposition");
      select.replaceChildren();
      const blank = document.createElement("option");
      blank.value = "";
      blank.textContent = "Choose…";
      select.append(blank);
      (wrapup.dispositions || []).forEach((d) => {
        const option = document.createElement("option");
        option.value = d.code;
        option.textContent = window.Desktop.text(d.label);
        select.append(option);
      });
      $("wrapup-notes").value = "";
      $("wrapup-callback").value = "";
      $("wrapup-callback-mine").checked = false;
      showError("");
    }
    tick();
    timer = setInterval(tick, 500);
  }

  function payload() {
    const body = { disposition: $("wrapup-disposition").value, notes: $("wrapup-notes").value };
    const mode = document.querySelector("input[name=wrapup-ticket]:checked").value;
    if (mode === "new") {
      body.ticket = { subject: $("wrapup-ticket-subject").value.trim(), priority: $("wrapup-ticket-priority").value };
    } else if (mode === "existing") {
      body.ticket = { id: $("wrapup-ticket-id").value.trim() };
    }
    if ($("wrapup-callback").value) {
      body.callback_at = new Date($("wrapup-callback").value).toISOString();
      body.callback_mine = $("wrapup-callback-mine").checked;
    }
    return body;
  }

  $("wrapup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!owed) { return; }
    showError("");
    try {
      await window.Desktop.post(`/desktop/calls/${encodeURIComponent(owed.call_sid)}/wrapup`, payload());
    } catch (err) {
      showError(err.message);
      return;
    }
    await window.Desktop.refresh();
  });

  document.addEventListener("desktop:snapshot", (event) => render(event.detail.wrapup || null));
})();
