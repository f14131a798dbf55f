// Desktop panel: the call script. Fetches the script for the current call (rendered on the server
// with the caller's values), shows the answered path and the step to answer now, and posts each
// answer; the server decides the branch and returns the script as it now stands. All text from
// the server goes in with textContent.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const D = window.Desktop;
  let callSid = null;
  let script = null;
  let editing = null;

  function showError(message) {
    $("script-error").textContent = message || "";
    $("script-error").hidden = !message;
  }

  async function load(sid, tries) {
    const resp = await fetch(`/desktop/knowledge/calls/${encodeURIComponent(sid)}/script`, { credentials: "same-origin" });
    if (sid !== callSid) { return; }
    if (!resp.ok) {
      // Not (yet) ours, e.g. fetched between the accept and its record: try again a little later.
      script = null;
      render();
      if (resp.status === 403 && (tries || 0) < 3) { setTimeout(() => { if (sid === callSid) { load(sid, (tries || 0) + 1); } }, 1000); }
      return;
    }
    script = (await resp.json()).script;
    render();
  }

  async function answer(step, value) {
    showError("");
    try {
      const data = await D.post(`/desktop/knowledge/calls/${encodeURIComponent(callSid)}/answers`, { step, answer: value });
      script = data.script;
      editing = null;
      render();
    } catch (err) {
      showError(err.message);
    }
  }

  function controls(stepId, step) {
    const box = document.createElement("div");
    box.className = "script-controls";
    if (step.kind === "choice") {
      (step.options || []).forEach((option) => {
        const button = D.el("button", option.label);
        button.type = "button";
        button.dataset.value = option.value;
        button.addEventListener("click", () => answer(stepId, option.value));
        box.append(button);
      });
    } else if (step.kind === "text") {
      const form = document.createElement("form");
      const input = document.createElement("input");
      input.name = "answer";
      input.maxLength = 1000;
      input.required = true;
      input.setAttribute("aria-label", D.text(step.question));
      const button = D.el("button", "Save answer");
      button.type = "submit";
      form.append(input, button);
      form.addEventListener("submit", (event) => { event.preventDefault(); answer(stepId, input.value); });
      box.append(form);
    } else if (step.kind === "info") {
      const button = D.el("button", "Continue");
      button.type = "button";
      button.addEventListener("click", () => answer(stepId, ""));
      box.append(button);
    }
    return box;
  }

  function stepItem(stepId, step) {
    const item = document.createElement("li");
    item.dataset.step = stepId;
    if (step.say) { item.append(D.el("p", step.say)); }
    if (step.question) {
      const question = D.el("p", step.question);
      question.className = "question";
      item.append(question);
    }
    return item;
  }

  function render() {
    const list = $("script-steps");
    list.replaceChildren();
    $("script").hidden = !script;
    if (!script) { return; }
    $("script-title").textContent = D.text(script.title);
    const why = { campaign: "for this campaign", queue: "for this queue", intent: "for this intent", default: "default script" };
    $("script-reason").textContent = why[script.reason] ? `(${why[script.reason]})` : "";
    (script.path || []).forEach((done) => {
      const step = script.steps[done.step];
      if (!step) { return; }
      const item = stepItem(done.step, step);
      item.className = "answered";
      if (editing === done.step) {
        item.append(controls(done.step, step));
      } else {
        const shown = D.el("p", `Answer: ${D.text(done.label)}`);
        shown.className = "answer";
        const change = D.el("button", "Change");
        change.type = "button";
        change.className = "secondary";
        change.addEventListener("click", () => { editing = done.step; render(); });
        item.append(shown, change);
      }
      list.append(item);
    });
    if (script.current && script.steps[script.current]) {
      const step = script.steps[script.current];
      const item = stepItem(script.current, step);
      item.className = "current";
      item.append(controls(script.current, step));
      list.append(item);
      if (step.kind === "end") {
        const end = D.el("li", "End of script");
        end.className = "muted";
        list.append(end);
      }
    }
  }

  document.addEventListener("desktop:snapshot", (event) => {
    const call = event.detail && event.detail.call;
    const sid = call ? call.call_sid : null;
    if (sid === callSid) { return; }
    callSid = sid;
    script = null;
    editing = null;
    showError("");
    render();
    if (sid) { load(sid); }
  });
})();
