// desktop: keyboard shortcuts — A accept (or answer the softphone), R reject, H hold/resume, M mute, X hang up, / search,
// ? this list. Never while the agent types in a field, and never with Ctrl, Alt or Meta held.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const D = window.Desktop;
  let returnFocus = null;

  function typing(target) {
    if (!target || !(target instanceof Element)) { return false; }
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]"));
  }

  function visible(id) {
    const node = $(id);
    return node && !node.closest("[hidden]") && node.offsetParent !== null;
  }

  function press(id) { if (visible(id)) { $(id).click(); return true; } return false; }

  // A and R also answer the browser softphone while it rings (after the offer was accepted).
  function phone(action) {
    const sp = window.Softphone;
    if (!sp || !sp.ringing()) { return false; }
    sp[action]();
    return true;
  }

  function openHelp() {
    returnFocus = document.activeElement;
    $("shortcuts").hidden = false;
    $("shortcuts-close").focus();
  }

  function closeHelp() {
    $("shortcuts").hidden = true;
    if (returnFocus && returnFocus.focus) { returnFocus.focus(); }
  }

  $("shortcuts-open").addEventListener("click", openHelp);
  $("shortcuts-close").addEventListener("click", closeHelp);
  $("shortcuts").addEventListener("click", (event) => { if (event.target === $("shortcuts")) { closeHelp(); } });

  document.addEventListener("keydown", (event) => {
    if (!$("shortcuts").hidden) {
      if (event.key === "Escape") { event.preventDefault(); closeHelp(); }
      if (event.key === "Tab") { event.preventDefault(); $("shortcuts-close").focus(); }  // focus stays in the dialog
      return;
    }
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat || typing(event.target)) { return; }
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    let done = false;
    if (key === "?") { openHelp(); done = true; }
    else if (key === "a") { done = D.offer() ? press("accept") : phone("answer"); }
    else if (key === "r") { done = D.offer() ? press("reject") : phone("reject"); }
    else if (key === "h") { done = press("cc-hold"); }
    else if (key === "m") { done = press("cc-mute"); }
    else if (key === "x") { done = press("cc-hangup"); }
    else if (key === "/") { const q = $("faq-q"); if (q) { q.focus(); done = true; } }
    if (done) { event.preventDefault(); }
  });
})();
