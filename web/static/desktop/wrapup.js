// desktop panel: wrap-up — disposition, notes, a ticket, a callback, with the wrap-up timer.
// Shown while the snapshot says a wrap-up is owed; submitting ends the wrap-up at once.
// What the agent types is saved on the server as they type (a draft), so a reload, a new call
// or the end of the timer loses nothing: the panel is filled from the draft when it opens.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const SAVE_AFTER_MS = 500;  // pause in typing before the draft is saved
  let owed = null;
  let timer = null;
  let saveTimer = null;
  let saved = "";  // the last draft the server has, as JSON, so unchanged text is not sent again
  let submitting = false;

  function showError(message) {
    $("wrapup-error").textContent = message || "";
    $("wrapup-error").hidden = !message;
  }

  function showSaved(message) {
    $("wrapup-saved").textContent = message || "";
    $("wrapup-saved").hidden = !message;
  }

  function tick() {
    if (!owed || !owed.deadline) {
      $("wrapup-timer").textContent = owed && !owed.in_wrap_up ? "time is up: your notes are kept, submit when ready" : "";
      return;
    }
    const left = Math.max(0, Math.round(owed.deadline - Date.now() / 1000));
    $("wrapup-timer").textContent = left > 0 ? `${left} s left` :
      (owed.auto_available ? "time is up: your notes are kept, submit when ready" :
        "time is up: you stay not ready until you submit");
  }

  function draftBody() {
    return { disposition: $("wrapup-disposition").value || null, notes: $("wrapup-notes").value };
  }

  async function saveDraft() {
    clearTimeout(saveTimer);
    saveTimer = null;
    if (!owed || submitting) { return; }
    const callSid = owed.call_sid;
    const body = draftBody();
    const key = JSON.stringify([callSid, body]);
    if (key === saved) { return; }
    $("wrapup-draft-status").textContent = "saving…";
    try {
      await window.Desktop.post(`/desktop/calls/${encodeURIComponent(callSid)}/wrapup-draft`, body);
      saved = key;
      if (owed && owed.call_sid === callSid) { $("wrapup-draft-status").textContent = "draft saved"; }
    } catch (err) {
      if (owed && owed.call_sid === callSid && !submitting) {
        $("wrapup-draft-status").textContent = `draft not saved: ${err.message}`;
      }
    }
  }

  function saveSoon() {
    clearTimeout(saveTimer);
    showSaved("");  // the last call's confirmation gives way once the agent works on this one
    $("wrapup-draft-status").textContent = "";
    saveTimer = setTimeout(saveDraft, SAVE_AFTER_MS);
  }

  function fillDispositions(wrapup) {
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
  }

  function render(wrapup) {
    const sameCall = owed && wrapup && owed.call_sid === wrapup.call_sid;
    if (saveTimer && !sameCall) { saveDraft(); }  // typed just before the panel changes: keep it
    owed = wrapup;
    $("wrapup").hidden = !wrapup;
    clearInterval(timer);
    if (!wrapup) { return; }
    const who = wrapup.customer || wrapup.from || "";
    $("wrapup-caller").textContent = `Call with ${window.Desktop.text(who)}`;
    const extend = $("wrapup-extend");
    extend.hidden = !wrapup.can_extend;
    extend.disabled = false;
    extend.textContent = `Extend by ${window.Desktop.text(wrapup.extension_s)} s`;
    if (!sameCall) {
      // A new wrap-up, or one reopened after a reload or another call: what the server kept.
      const draft = wrapup.draft || {};
      fillDispositions(wrapup);
      $("wrapup-disposition").value = draft.disposition || "";
      $("wrapup-notes").value = draft.notes || "";
      $("wrapup-callback").value = "";
      $("wrapup-callback-mine").checked = false;
      $("wrapup-draft-status").textContent = wrapup.draft ? "draft restored" : "";
      saved = JSON.stringify([wrapup.call_sid, draftBody()]);
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

  function confirmation(result, mode) {
    if (!result || !result.ticket_id) { return "Saved"; }
    const number = window.Desktop.text(result.ticket_id);
    return mode === "existing" ? `Saved — added to ticket #${number}` : `Saved — ticket #${number}`;
  }

  $("wrapup-notes").addEventListener("input", saveSoon);
  $("wrapup-disposition").addEventListener("change", saveDraft);
  $("wrapup-notes").addEventListener("blur", () => { if (saveTimer) { saveDraft(); } });
  window.addEventListener("pagehide", () => { if (saveTimer) { saveDraft(); } });

  $("wrapup-extend").addEventListener("click", async () => {
    if (!owed) { return; }
    showError("");
    $("wrapup-extend").disabled = true;
    try {
      await window.Desktop.post(`/desktop/calls/${encodeURIComponent(owed.call_sid)}/wrapup-extend`, {});
    } catch (err) {
      showError(err.message);
    }
    await window.Desktop.refresh();
  });

  $("wrapup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!owed) { return; }
    showError("");
    showSaved("");
    clearTimeout(saveTimer);
    saveTimer = null;
    submitting = true;
    const mode = document.querySelector("input[name=wrapup-ticket]:checked").value;
    let answer;
    try {
      answer = await window.Desktop.post(`/desktop/calls/${encodeURIComponent(owed.call_sid)}/wrapup`, payload());
    } catch (err) {
      showError(err.message);
      return;
    } finally {
      submitting = false;
    }
    showSaved(confirmation(answer.wrapup, mode));
    document.querySelector("input[name=wrapup-ticket][value=none]").checked = true;
    $("wrapup-ticket-subject").value = "";
    $("wrapup-ticket-id").value = "";
    owed = null;  // the next wrap-up, even of the same call, starts from what the server says
    await window.Desktop.refresh();
  });

  document.addEventListener("desktop:snapshot", (event) => render(event.detail.wrapup || null));
})();
