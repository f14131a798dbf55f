// desktop: the call bar — status with time in it, the caller and queue, talk / hold / wrap-up
// timers counted from the server's moments, and Accept / Reject while an offer rings.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const D = window.Desktop;
  let snap = null;
  let connecting = false;  // the call is accepted, the agent's leg not answered yet
  let asked = 0;

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, "0");
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  function who(pop, fallback) {
    if (pop && pop.customer) { return pop.customer.name; }
    if (pop && pop.from) { return pop.from; }
    return fallback;
  }

  function show(id, value) { $(id).textContent = value || ""; $(id).hidden = !value; }

  function tick() {
    if (!snap) { return; }
    const now = D.serverNow();
    const agent = snap.agent || {};
    $("since").textContent = agent.since ? clock(now - agent.since) : "";
    // Talk time runs from when the agent's leg was answered (the carrier's word), not the accept.
    const live = snap.live;
    show("cb-talk", !live ? "" : (live.answered_at ? `Talk ${clock(now - live.answered_at)}` : "Connecting…"));
    connecting = Boolean(live && !live.answered_at);
    const controls = snap.controls;
    const heldSince = controls && controls.on_hold && controls.held_since ? Date.parse(controls.held_since) / 1000 : null;
    show("cb-hold", heldSince ? `On hold ${clock(now - heldSince)}` : "");
    const wrap = snap.wrapup;
    if (agent.state === "wrap_up" && wrap && wrap.deadline) {
      const left = wrap.deadline - now;
      show("cb-wrap", left > 0 ? `Wrap-up ${clock(left)} left` : "Wrap-up time is up");
    } else if (agent.state === "wrap_up") {
      show("cb-wrap", agent.wrap_until ? `Wrap-up ${clock(agent.wrap_until - now)} left` : "Wrap-up");
    } else {
      show("cb-wrap", "");
    }
  }

  function render(detail) {
    snap = detail;
    const agent = detail.agent || {};
    let caller = "No call";
    let queue = "";
    if (detail.offer && detail.offer_chat) {
      caller = `Chat offered: ${detail.offer_chat.visitor}`;
      queue = detail.offer_queue || "";
    } else if (detail.offer) {
      caller = `Ringing: ${who(detail.offer_pop, "a caller")}`;
      queue = detail.offer_queue || "";
    } else if (detail.chat) {
      caller = `${agent.state === "wrap_up" ? "Wrap-up: chat with" : "Chat with"} ${detail.chat.visitor}`;
    } else if (detail.call) {
      caller = who(detail.call, "Caller");
      queue = detail.live ? detail.live.queue : "";
    } else if (agent.state === "wrap_up" && detail.wrapup) {
      caller = `Wrap-up: ${detail.wrapup.customer || detail.wrapup.from || "last call"}`;
    }
    $("cb-caller").textContent = caller;
    $("cb-queue").textContent = queue ? `· ${queue}` : "";
    $("cb-call").dataset.phase = detail.offer ? "ringing" : (detail.call ? "connected" : agent.state || "");
    $("cb-offer-actions").hidden = !detail.offer;
    // The status is the call's while one rings or is connected: the choices come back after it.
    const busy = agent.state === "reserved" || agent.state === "on_call";
    document.querySelectorAll("button[data-state]").forEach((button) => {
      const current = button.dataset.state === agent.state;
      button.setAttribute("aria-current", current ? "true" : "false");
      button.disabled = busy;
    });
    $("break-select").disabled = busy;
    document.querySelector(".cb-state-buttons").title = busy ? "You can change your status once the call is over" : "";
    $("idle").hidden = Boolean(detail.offer || detail.call || detail.chat || detail.wrapup || detail.consulted);
    $("break-select").value = agent.state === "break" && agent.reason && agent.reason !== "missed" ? agent.reason : "";
    tick();
  }

  // While the agent's phone or browser still rings, ask again now and then: nothing is pushed
  // when the leg answers, and the timer should start within a second or two of it.
  setInterval(() => {
    if (connecting && Date.now() - asked > 1500) { asked = Date.now(); D.refresh(); }
  }, 500);

  $("cb-accept").addEventListener("click", () => D.answer("accept"));
  $("cb-reject").addEventListener("click", () => D.answer("reject"));
  document.addEventListener("desktop:snapshot", (event) => render(event.detail));
  setInterval(tick, 1000);
  // The script panel fills itself (desktop/script.js); its placeholder shows while it is away.
  const placeholder = () => { $("script-empty").hidden = !$("script").hidden; };
  new MutationObserver(placeholder).observe($("script"), { attributes: true, attributeFilter: ["hidden"] });
  placeholder();
  window.DesktopCallBar = { clock };
})();
