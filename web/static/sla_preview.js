// The SLA editors' preview: whenever an input of the form changes, post the form (as it stands,
// unsaved) to the preview endpoint and swap in the panel it answers. Without this script the
// "Preview" button posts the same form and the page comes back with the panel filled in.
(function () {
  const form = document.querySelector("form[data-preview-url]");
  const panel = document.getElementById("sla-preview-body");
  if (!form || !panel) { return; }
  let timer = null;
  let asked = 0;

  async function refresh() {
    const sent = ++asked;
    const data = new FormData(form);
    data.set("action", "preview");
    try {
      const resp = await fetch(form.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" });
      if (!resp.ok || sent !== asked) { return; }  // an older answer never replaces a newer one
      const html = await resp.text();
      const current = document.getElementById("sla-preview-body");
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const fresh = holder.querySelector("#sla-preview-body");
      if (current && fresh) { current.replaceWith(fresh); }
    } catch (err) {
      // offline or the server away: the Preview button still works
    }
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
