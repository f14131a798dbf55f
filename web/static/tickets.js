// Keyboard shortcuts on the ticket page: "c" focuses the composer, Ctrl+Enter (or Cmd+Enter) sends it.
(function () {
  "use strict";
  var composer = document.getElementById("composer");
  var body = document.getElementById("composer-body");
  if (!composer || !body) { return; }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "c" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      event.preventDefault();
      body.focus();
      composer.scrollIntoView({ block: "nearest" });
    }
  });

  body.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (body.value.trim() !== "") { composer.requestSubmit(); }
    }
  });

  // A second click on "send" while the first post is under way would add the comment twice.
  composer.addEventListener("submit", function () {
    var send = document.getElementById("composer-send");
    if (send) { window.setTimeout(function () { send.disabled = true; }, 0); }
  });
})();
