// Desktop panel: preview dialing. The agent reads the held lead, then dials or skips it. Shown
// only to agents of a running preview campaign; the lead is (re)loaded when a snapshot finds the
// agent available with no offer or call. All text goes in through textContent.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  if (!$("preview") || !window.Desktop) { return; }
  const D = window.Desktop;
  let lead = null;
  let loading = false;
  let dialedAt = 0; // while the dialed lead rings, the panel waits for the offer instead of loading

  function show(id, message) { $(id).textContent = D.text(message); $(id).hidden = !message; }

  function render(data) {
    $("preview").hidden = !(data.campaigns && data.campaigns.length);
    lead = data.lead;
    const box = $("preview-lead");
    box.replaceChildren();
    $("preview-empty").hidden = Boolean(lead);
    $("preview-dial").disabled = !lead;
    $("preview-skip").disabled = !lead;
    $("preview-campaign").textContent = lead ? lead.campaign : (data.campaigns || []).map((c) => c.name).join(", ");
    if (!lead) { return; }
    box.append(D.el("h3", lead.name || lead.phone));
    const facts = document.createElement("dl");
    const add = (label, value) => {
      if (value === null || value === undefined || value === "") { return; }
      facts.append(D.el("dt", label), D.el("dd", value));
    };
    add("Number", lead.phone);
    add("Local time", lead.local_times.map((t) => `${t.time} (${t.zone})`).join(", "));
    add("Attempts", `${lead.attempts} of ${lead.max_attempts}`);
    add("Last disposition", lead.last_disposition || lead.last_outcome);
    if (lead.callback_at) { add("Callback", `${lead.callback_at.slice(0, 16)}${lead.own_callback ? " (yours)" : ""}`); }
    add("Notes", lead.notes);
    Object.entries(lead.attributes || {}).forEach(([k, v]) => add(k, v));
    box.append(facts);
  }

  async function load() {
    if (loading) { return; }
    loading = true;
    try {
      const resp = await fetch("/desktop/preview", { credentials: "same-origin" });
      if (resp.ok) { render(await resp.json()); }
    } finally { loading = false; }
  }

  async function act(path) {
    if (!lead) { return; }
    show("preview-error", "");
    const body = { campaign_id: lead.campaign_id, lead_id: lead.lead_id };
    try {
      const data = await D.post(`/desktop/preview/${path}`, body);
      if (path === "dial") {
        show("preview-status", `Calling ${lead.name || lead.phone}…`);
        $("preview-dial").disabled = true;
        $("preview-skip").disabled = true;
        lead = null;
        dialedAt = Date.now();
        return data;
      }
      show("preview-status", "");
    } catch (err) {
      show("preview-error", err.message);
    }
    await load();
  }

  $("preview-dial").addEventListener("click", () => act("dial"));
  $("preview-skip").addEventListener("click", () => act("skip"));
  document.addEventListener("desktop:snapshot", (event) => {
    const snap = event.detail || {};
    const agent = snap.agent || {};
    if (snap.offer || snap.call) { dialedAt = 0; }
    if (agent.state === "available" && !snap.offer && !snap.call && Date.now() - dialedAt > 60000) {
      show("preview-status", "");
      load();
    } else if (agent.state === "offline") {
      $("preview").hidden = true;
    }
  });
})();
