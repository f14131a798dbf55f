// Agent desktop: state, offers with a countdown, screen pop. Live over Socket.IO; every action
// is a POST; after any (re)connection the page asks for a snapshot of the true state.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let offer = null;
  let timer = null;

  function text(value) { return value === null || value === undefined ? "" : String(value); }

  function el(tag, content) { const e = document.createElement(tag); e.textContent = text(content); return e; }

  function slaText(clocks) {
    return (clocks || []).map((c) => {
      if (c.seconds_left === null || c.seconds_left === undefined) { return `${c.metric} ${c.state}`; }
      const minutes = Math.round(Math.abs(c.seconds_left) / 60);
      return c.seconds_left < 0 ? `${c.metric} breached ${minutes} min ago` : `${c.metric} due in ${minutes} min${c.state === "paused" ? " (paused)" : ""}`;
    }).join("; ");
  }

  function ticketItem(t) {
    const li = el("li", `#${t.id} ${t.subject} [${t.status}, ${t.priority}]`);
    const sla = slaText(t.sla);
    if (sla) { const s = el("span", ` SLA: ${sla}`); s.className = t.sla.some((c) => c.breached) ? "sla breached" : "sla"; li.append(s); }
    return li;
  }

  function createCustomerForm(pop) {
    const form = document.createElement("form");
    form.className = "create-customer";
    const name = document.createElement("input");
    name.name = "name"; name.placeholder = "Customer name"; name.maxLength = 200; name.required = true;
    const email = document.createElement("input");
    email.name = "email"; email.type = "email"; email.placeholder = "E-mail (optional)"; email.maxLength = 254;
    const button = el("button", "Create customer");
    button.type = "submit";
    const error = el("p", ""); error.className = "flash error"; error.hidden = true;
    form.append(el("h4", "Unknown caller: create customer"), name, email, button, error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await post(`/desktop/calls/${encodeURIComponent(pop.call_sid)}/customer`, { name: name.value, email: email.value || null });
        await refresh();
      } catch (err) { error.textContent = err.message; error.hidden = false; }
    });
    return form;
  }

  // Times in the agent's own zone and words, never raw ISO: "Mon 7 Dec, 14:05".
  const TIME_FORMAT = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  function localTime(iso) {
    const when = iso ? new Date(iso) : null;
    return when && !Number.isNaN(when.getTime()) ? TIME_FORMAT.format(when) : "";
  }

  const OUTCOMES = { completed: "Answered", abandoned: "Caller hung up in queue", voicemail: "Voicemail",
    transferred: "Transferred", failed: "Failed", no_answer: "No answer", busy: "Busy", callback: "Called back" };
  function outcomeText(h) {
    const outcome = h.outcome ? (OUTCOMES[h.outcome] || text(h.outcome).replace(/_/g, " ")) : "";
    const disposition = h.disposition ? text(h.disposition).replace(/_/g, " ") : "";
    return [outcome, disposition].filter(Boolean).join(" — ") || "No outcome recorded";
  }

  const SEGMENT_NAMES = { champions: "Champion", loyal: "Loyal", new: "New", promising: "Promising",
    at_risk: "At risk", about_to_sleep: "About to sleep", hibernating: "Hibernating", others: "Other" };
  // Value tier, 12-month lifetime value, chance the customer is still buying, RFM segment.
  function analyticsLine(a) {
    if (!a) { return ""; }
    const parts = [];
    if (a.value_tier) { parts.push(`Value: ${text(a.value_tier)}`); }
    if (a.clv_12m !== null && a.clv_12m !== undefined) { parts.push(`12-month value ${Number(a.clv_12m).toFixed(0)}`); }
    if (a.p_alive !== null && a.p_alive !== undefined) { parts.push(`P(active) ${Math.round(a.p_alive * 100)} %`); }
    if (a.segment) { parts.push(`${SEGMENT_NAMES[a.segment] || text(a.segment).replace(/_/g, " ")} (${text(a.rfm)})`); }
    return parts.join(" · ");
  }

  function renderPop(target, pop, editable, pending) {
    target.replaceChildren();
    if (!pop) {
      // The call's record can land a moment after its offer; say so rather than show a blank card.
      if (pending) { const wait = el("p", "Looking up the caller…"); wait.className = "pop-pending"; target.append(wait); }
      return;
    }
    const person = pop.customer ? `${pop.customer.name} (${pop.customer.segment})` : `Unknown caller ${text(pop.from)}`;
    // A callback the customer asked for: we ring them when the agent accepts.
    const who = pop.direction === "callback" ? `Call back: ${person}` : person;
    const heading = el("h3", who);
    heading.className = "customer-name";
    target.append(heading);
    if (pop.customer) {
      const details = [pop.customer.email, (pop.customer.phones || []).join(", ")].filter(Boolean).join(" · ");
      if (details) { target.append(el("p", details)); }
      const value = analyticsLine(pop.customer.analytics);
      if (value) { const line = el("p", value); line.className = "customer-value"; target.append(line); }
      // Churn risk with its reasons, and the next-best offers (desktop/offers.js).
      if (window.DesktopOffers) { target.append(...window.DesktopOffers.render(pop, editable)); }
    } else if (editable && pop.can_create_customer) {
      target.append(createCustomerForm(pop));
    }
    if (pop.intent) { target.append(el("p", `Intent: ${pop.intent}`)); }
    if (pop.ivr_path && pop.ivr_path.length) { target.append(el("p", `IVR: ${pop.ivr_path.join(" → ")}`)); }
    const vars = Object.entries(pop.ivr_variables || {});
    if (vars.length) { target.append(el("p", "Entered: " + vars.map(([k, v]) => `${k}=${v}`).join(", "))); }
    if (pop.latest_ticket) {
      const latest = el("p", "");
      latest.className = "latest-ticket";
      latest.append(el("strong", "Latest ticket: "), ticketItem(pop.latest_ticket).firstChild.cloneNode(true));
      target.append(latest);
    }
    if (pop.open_tickets && pop.open_tickets.length) {
      const list = document.createElement("ul");
      pop.open_tickets.forEach((t) => list.append(ticketItem(t)));
      target.append(el("h4", "Open tickets"), list);
    }
    if (pop.history && pop.history.length) {
      const list = document.createElement("ol");
      list.className = "timeline";
      pop.history.forEach((h) => {
        const li = document.createElement("li");
        const when = el("time", localTime(h.at));
        when.dateTime = text(h.at);
        const what = [h.direction === "outbound" ? "Outbound" : "Inbound", outcomeText(h)].filter(Boolean).join(" · ");
        li.append(when, el("span", ` ${what}`));
        if (h.intent) { li.append(el("span", ` · ${h.intent}`)); }
        if (h.notes) { const notes = el("p", h.notes); notes.className = "notes"; li.append(notes); }
        list.append(li);
      });
      target.append(el("h4", "Recent calls"), list);
    }
  }

  const STATE_NAMES = { offline: "Offline", available: "Available", reserved: "Ringing", on_call: "On a call",
    wrap_up: "Wrap-up", break: "On break" };
  const REASON_NAMES = { lunch: "lunch", training: "training", meeting: "meeting", missed: "missed a call", other: "other" };
  function stateName(agent) {
    if (agent.state === "on_call" && text(agent.call_sid).startsWith("chat-")) { return "In a chat"; }
    const name = STATE_NAMES[agent.state] || text(agent.state).replace(/_/g, " ");
    return agent.state === "break" && agent.reason ? `${name} · ${REASON_NAMES[agent.reason] || text(agent.reason)}` : name;
  }

  function showState(agent) {
    // A refusal ("cannot change state now: wrap_up") belongs to the state it was refused in.
    if ($("state").dataset.state && $("state").dataset.state !== agent.state) { $("state-error").hidden = true; }
    $("state").textContent = stateName(agent);
    $("state").dataset.state = agent.state;
    $("state").dataset.reason = agent.reason || "";
  }

  function showOffer(newOffer, pop, queue, chat) {
    offer = newOffer;
    clearInterval(timer);
    if (!offer) { $("offer").hidden = true; return; }
    $("offer").hidden = false;
    $("offer").dataset.kind = chat ? "chat" : "call";
    $("offer-kind").textContent = chat ? "Incoming chat" : "Incoming call";
    $("offer-queue").textContent = queue ? `· ${queue}` : "";
    if (chat) {
      // A web chat has no caller record to look up: the visitor's name and address are the offer.
      const who = el("h3", `${chat.visitor} (${chat.email})`);
      who.className = "customer-name";
      $("offer-pop").replaceChildren(who);
    } else {
      renderPop($("offer-pop"), pop, false, true);
    }
    const tick = () => {
      const left = Math.max(0, Math.round(offer.expires_at - serverNow()));
      $("countdown").textContent = String(left);
      if (left <= 0) { clearInterval(timer); }
    };
    tick();
    timer = setInterval(tick, 250);
  }

  function showCall(pop) {
    $("call").hidden = !pop;
    renderPop($("call-pop"), pop, true, false);
  }

  const post = window.postJson;

  let popRetries = 0;
  let lastSnapshot = null;
  let clockSkew = 0;  // server time minus this browser's, in seconds: timers count from the server's moments
  function serverNow() { return Date.now() / 1000 + clockSkew; }

  async function refresh() {
    const resp = await fetch("/desktop/snapshot", { credentials: "same-origin" });
    if (!resp.ok) { return; }
    const snap = await resp.json();
    showState(snap.agent);
    lastSnapshot = snap;
    clockSkew = typeof snap.now === "number" ? snap.now - Date.now() / 1000 : 0;
    showOffer(snap.offer, snap.offer_pop, snap.offer_queue, snap.offer_chat);
    if (snap.offer) { lastOfferId = snap.offer.offer_id; }
    showCall(snap.call);
    // The offer can reach the socket a moment before the call's record is committed: ask again,
    // backing off to once a second, for as long as the offer or call stands (a busy server can take seconds).
    const popMissing = (snap.offer && !snap.offer_pop && !snap.offer_chat) ||
      (snap.agent && snap.agent.state === "on_call" && !snap.call && !snap.chat);
    if (popMissing && popRetries < 30) {
      popRetries += 1;
      setTimeout(refresh, Math.min(1000, 200 * popRetries));
    } else if (!popMissing) {
      popRetries = 0;
    }
    // Panels in their own files (call controls, wrap-up, script, FAQ, preview) listen for this.
    document.dispatchEvent(new CustomEvent("desktop:snapshot", { detail: snap }));
  }

  let changedDuring = null;  // the offer that rang while this page changed the status (its rescind is no news)
  async function setState(state, reason) {
    $("state-error").hidden = true;
    changedDuring = offer ? offer.offer_id : changedDuring;
    try {
      await post("/desktop/state", { state, reason: reason || null });
      await refresh();
    } catch (err) {
      $("state-error").textContent = err.message;
      $("state-error").hidden = false;
    }
  }
  document.querySelectorAll("button[data-state]").forEach((button) => {
    button.addEventListener("click", () => setState(button.dataset.state, button.dataset.reason));
  });
  $("break-select").addEventListener("change", () => {
    const reason = $("break-select").value;
    if (reason) { setState("break", reason); }
  });
  let answering = null;  // the offer being accepted or rejected by this page
  let answeredWith = null;  // and how: "accept" or "reject"
  let lastOfferId = null;  // the last offer this page showed
  async function answer(action) {
    if (!offer) { return; }
    answering = offer.offer_id;
    answeredWith = action;
    // The softphone answers the ring for this task by itself (desktop/softphone.js).
    const accepting = (task) => document.dispatchEvent(new CustomEvent("desktop:accepting", { detail: { task } }));
    if (action === "accept") { accepting(offer.call_sid); }
    try { await post(`/desktop/offers/${offer.offer_id}/${action}`); } catch (err) { if (action === "accept") { accepting(null); } }
    await refresh();
  }
  $("accept").addEventListener("click", () => answer("accept"));
  $("reject").addEventListener("click", () => answer("reject"));

  const socket = io({ transports: ["websocket", "polling"] });
  socket.on("connect", () => { $("connection").textContent = "live"; refresh(); });
  socket.on("disconnect", () => { $("connection").textContent = "reconnecting…"; });
  ["offer.created", "offer.accepted", "offer.rejected", "agent.state", "agent.wrap_extended", "call.updated"]
    .forEach((name) => socket.on(name, () => refresh()));
  // An offer that ends without the agent's answer: say why, so it never just vanishes.
  // rescinded — the caller hung up while it rang (or the status changed: then it is no news);
  // expired — ring-no-answer: the ACD put the agent on a "missed" break.
  socket.on("offer.rescinded", async (event) => {
    const id = event && event.offer_id;
    const own = !id || id === changedDuring || id === answering;
    await refresh();
    // The caller leaving puts the agent back to available (and maybe straight into the next offer);
    // a status change, the agent's or a supervisor's, leaves them on break or offline.
    if (!own && lastSnapshot && ["available", "reserved"].includes(lastSnapshot.agent.state)) {
      document.dispatchEvent(new CustomEvent("desktop:notice", { detail: { kind: "caller_left" } }));
    }
  });
  socket.on("offer.expired", () => refresh());  // the "missed" break shows its own notice (desktop/alerts.js)
  document.addEventListener("visibilitychange", () => { if (!document.hidden) { refresh(); } });
  window.Desktop = { post, refresh, el, text, socket, setState, answer, serverNow, localTime, stateName, renderPop,
    offer: () => offer,
    rejectedLastOffer: () => answeredWith === "reject" && answering !== null && answering === lastOfferId };
})();
