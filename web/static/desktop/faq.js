// Desktop panel: FAQ. Suggestions for the current call's IVR intent, and full-text search with
// "more results" paging. Articles are shown with textContent only (titles and bodies are data).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const D = window.Desktop;
  let callSid = null;
  let query = "";
  let nextOffset = null;

  function article(item) {
    const li = document.createElement("li");
    li.dataset.article = String(item.id);
    const details = document.createElement("details");
    details.append(D.el("summary", item.title));
    if (item.tags && item.tags.length) {
      const tags = D.el("p", `Tags: ${item.tags.join(", ")}`);
      tags.className = "muted";
      details.append(tags);
    }
    item.body.split(/\n{2,}/).forEach((para) => details.append(D.el("p", para)));
    li.append(details);
    return li;
  }

  function showError(message) {
    $("faq-error").textContent = message || "";
    $("faq-error").hidden = !message;
  }

  async function getJson(url) {
    const resp = await fetch(url, { credentials: "same-origin" });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) { throw new Error((data.error && data.error.message) || resp.statusText); }
    return data;
  }

  async function search(append) {
    showError("");
    const offset = append ? nextOffset : 0;
    try {
      const data = await getJson(`/desktop/knowledge/faq?q=${encodeURIComponent(query)}&offset=${offset || 0}`);
      if (!append) { $("faq-results").replaceChildren(); }
      data.items.forEach((item) => $("faq-results").append(article(item)));
      if (!append && !data.items.length) { $("faq-results").append(D.el("li", "No article matches.")); }
      nextOffset = data.next_offset;
      $("faq-more").hidden = nextOffset === null || nextOffset === undefined;
    } catch (err) {
      showError(err.message);
    }
  }

  async function suggest(sid) {
    $("faq-suggested").hidden = true;
    $("faq-suggestions").replaceChildren();
    if (!sid) { return; }
    try {
      const data = await getJson(`/desktop/knowledge/calls/${encodeURIComponent(sid)}/suggestions`);
      if (sid !== callSid || !data.items.length) { return; }
      $("faq-intent").textContent = D.text(data.intent);
      data.items.forEach((item) => $("faq-suggestions").append(article(item)));
      $("faq-suggested").hidden = false;
    } catch (err) {
      if (sid === callSid) { callSid = null; }  // retried with the next snapshot
    }
  }

  $("faq-form").addEventListener("submit", (event) => {
    event.preventDefault();
    query = $("faq-q").value.trim();
    if (query) { search(false); }
  });
  $("faq-more").addEventListener("click", () => search(true));

  document.addEventListener("desktop:snapshot", (event) => {
    const call = event.detail && event.detail.call;
    const sid = call ? call.call_sid : null;
    if (sid === callSid) { return; }
    callSid = sid;
    suggest(sid);
  });
})();
