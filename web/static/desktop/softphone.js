// The browser softphone: the desktop (and the board, for supervisors who listen in) answers the
// calls the app dials to client:<username>. Two backends behind one small interface —
//   start()  answer()  reject()  hangup()  mute(on)
// and both report to the same view through `emit(state)` / `fail(error)`:
//   Twilio mode: the Voice JavaScript SDK (web/static/vendor/twilio-voice.min.js) is the device;
//   simulator mode: the simulated carrier's device, driven through /desktop/device/... and polled.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const configNode = $("softphone-config");
  if (!configNode) { return; }
  const config = JSON.parse(configNode.textContent);
  const post = window.postJson;
  const POLL_MS = 700;

  // -- what an error means to the person at the page -----------------------------------------
  const MIC_HELP = "Allow the microphone for this site: click the padlock (or camera) icon next to the address, "
    + "set Microphone to Allow, then reload this page.";
  function explainError(error) {
    const err = error || {};
    const code = Number(err.code);
    const name = String(err.name || "");
    if (name === "NotAllowedError" || name === "PermissionDeniedError" || [31401, 31208].includes(code)) {
      return { kind: "microphone", message: `Your browser blocked the microphone, so calls cannot be answered here. ${MIC_HELP}` };
    }
    if (code === 31402 || name === "NotFoundError" || name === "NotReadableError") {
      return { kind: "microphone", message: "No microphone could be opened: plug one in (or close the other program using it), then reload this page." };
    }
    if ([20101, 20104, 31204, 31205].includes(code)) {
      return { kind: "token", message: "The softphone's sign-in to the carrier ran out; reload the page to renew it." };
    }
    if ([31005, 31009, 53000, 53405].includes(code)) {
      return { kind: "network", message: "The softphone lost its connection to the carrier; it retries by itself. Check your network if this stays." };
    }
    const detail = err.message ? ` (${err.message})` : "";
    return { kind: "other", message: `The softphone reported a problem${detail}. Reload the page; if it persists, set a phone number under "Calls ring".` };
  }

  // -- the accepted task: its ring is answered by the page ------------------------------------
  // Accepting an offer is the agent's answer. The app dials the browser with the task's id as a
  // custom parameter (client:alice?task=CA…; the SDK's call.customParameters, the simulated
  // device's "parameters"), so the ring that follows the accept is answered here at once; any
  // other ring still rings for the person to answer.
  const EXPECT_MS = 90000;  // longer than any ring before the carrier gives up
  let expected = null;
  document.addEventListener("desktop:accepting", (event) => {
    const task = event.detail && event.detail.task;
    expected = task ? { task: String(task), until: Date.now() + EXPECT_MS } : null;
  });
  function taskOf(parameters) {
    if (!parameters) { return null; }
    const value = typeof parameters.get === "function" ? parameters.get("task") : parameters.task;
    return value === undefined || value === null ? null : String(value);
  }
  function accepted(parameters) {
    if (!expected || Date.now() > expected.until) { expected = null; return false; }
    if (taskOf(parameters) !== expected.task) { return false; }
    expected = null;
    return true;
  }

  // -- the view -------------------------------------------------------------------------------
  let state = { phase: "off", callSid: null, from: "", muted: false };
  const PHASE_TEXT = {
    off: () => config.rings_browser ? "Softphone off" : `Calls ring at ${config.contact_value}`,
    starting: () => "Softphone starting…",
    ready: () => "Softphone ready",
    ringing: () => "Softphone ringing — answer to join the call",
    answering: () => "Joining the call you accepted…",
    connected: () => state.muted ? "Softphone connected · muted" : "Softphone connected",
    unavailable: () => "Softphone unavailable",
    standin: () => "Answered by the simulated carrier",
  };

  function deskHangupShown() {
    const hangup = $("cc-hangup");
    return Boolean(hangup && !hangup.closest("[hidden]"));
  }

  function render() {
    const root = $("softphone");
    root.dataset.phase = state.phase;
    $("sp-status").textContent = (PHASE_TEXT[state.phase] || PHASE_TEXT.off)();
    $("sp-answer").hidden = state.phase !== "ringing";
    $("sp-reject").hidden = state.phase !== "ringing";
    $("sp-mute").hidden = state.phase !== "connected";
    $("sp-mute").textContent = state.muted ? "Unmute mic" : "Mute mic";
    $("sp-mute").setAttribute("aria-pressed", state.muted ? "true" : "false");
    // On the desktop the call's own Hang up ends the call for everyone; the board has only this one.
    $("sp-hangup").hidden = state.phase !== "connected" || deskHangupShown();
  }

  function emit(next) {
    const was = state.phase;
    state = Object.assign({}, state, next);
    if (!["ringing", "answering", "connected"].includes(state.phase)) { state.callSid = state.phase === "ready" ? null : state.callSid; }
    render();
    if (state.phase === "ringing" && was !== "ringing") {
      $("sp-error").hidden = true;
      document.dispatchEvent(new CustomEvent("softphone:ringing", { detail: { call_sid: state.callSid, from: state.from } }));
    } else if (state.phase !== "ringing" && was === "ringing") {
      document.dispatchEvent(new CustomEvent("softphone:ringing", { detail: null }));
    }
  }

  function fail(error) {
    const explained = explainError(error);
    $("sp-error").textContent = explained.message;
    $("sp-error").dataset.kind = explained.kind;
    $("sp-error").hidden = false;
  }

  // -- Twilio mode: the Voice SDK ----------------------------------------------------------------
  function twilioBackend() {
    let device = null;
    let call = null;
    async function token() { return (await post("/desktop/voice-token")).token; }
    function follow(incoming) {
      call = incoming;
      const mine = accepted(incoming.customParameters);
      emit({ phase: mine ? "answering" : "ringing", callSid: incoming.parameters.CallSid, from: incoming.parameters.From || "", muted: false });
      incoming.on("accept", () => emit({ phase: "connected" }));
      incoming.on("mute", (muted) => emit({ muted: Boolean(muted) }));
      ["disconnect", "cancel", "reject"].forEach((name) => incoming.on(name, () => { call = null; emit({ phase: "ready", muted: false }); }));
      // A failed answer (a blocked microphone) leaves the ring to the person, with the reason shown.
      incoming.on("error", (error) => { fail(error); if (state.phase === "answering") { emit({ phase: "ringing" }); } });
      if (mine) { incoming.accept(); }
    }
    return {
      async start() {
        if (!window.Twilio || !window.Twilio.Device) { throw new Error("the Voice SDK did not load"); }
        device = new window.Twilio.Device(await token(), { closeProtection: true, codecPreferences: ["opus", "pcmu"] });
        device.on("registered", () => emit({ phase: "ready" }));
        device.on("unregistered", () => emit({ phase: "off" }));
        device.on("incoming", follow);
        device.on("error", (error) => fail(error));
        device.on("tokenWillExpire", async () => { try { device.updateToken(await token()); } catch (err) { fail(err); } });
        await device.register();
      },
      async answer() { if (call) { call.accept(); } },
      async reject() { if (call) { call.reject(); } },
      async hangup() { if (call) { call.disconnect(); } },
      async mute(on) { if (call) { call.mute(on); } },
    };
  }

  // -- simulator mode: the simulated carrier's device, through the app --------------------------
  function simulatorBackend() {
    async function sync(answer) {
      const calls = (answer && answer.calls) || [];
      const live = calls.filter((c) => c.status === "ringing" || c.status === "in-progress").pop();
      if (!live) { if (state.phase !== "ready") { emit({ phase: "ready", muted: false }); } return; }
      const phase = live.status === "ringing" ? "ringing" : "connected";
      if (phase === "ringing" && state.phase === "answering" && live.call_sid === state.callSid) { return; }
      if (phase === "ringing" && live.call_sid !== state.callSid && accepted(live.parameters)) {
        emit({ phase: "answering", callSid: live.call_sid, from: live.from, muted: false });
        if (!(await act("answer")) && state.phase === "answering") { emit({ phase: "ringing" }); }  // left to the person
        return;
      }
      if (phase !== state.phase || live.call_sid !== state.callSid || live.muted !== state.muted) {
        emit({ phase, callSid: live.call_sid, from: live.from, muted: live.muted });
      }
    }
    async function poll() {
      try {
        const resp = await fetch("/desktop/device", { credentials: "same-origin" });
        if (resp.status === 404) { await sync(await post("/desktop/device")); }  // the carrier forgot us: register again
        else if (resp.ok) { await sync(await resp.json()); }
      } catch (err) { /* a poll that fails is retried; the page's connection line says when the server is away */ }
      setTimeout(poll, POLL_MS);
    }
    async function act(action) {
      if (!state.callSid) { return false; }
      try { await sync(await post(`/desktop/device/calls/${encodeURIComponent(state.callSid)}/${action}`)); return true; } catch (err) { fail({ message: err.message }); return false; }
    }
    return {
      async start() {
        const resp = await fetch("/desktop/device", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": window.CSRF_TOKEN }, body: "{}",
        });
        if (resp.status === 503) { emit({ phase: "standin" }); return; }  // the simulator's agents answer for us
        const body = await resp.json().catch(() => ({}));
        if (!resp.ok) { throw new Error((body.error && body.error.message) || resp.statusText); }
        await sync(body);
        emit({ phase: state.phase === "starting" ? "ready" : state.phase });
        setTimeout(poll, POLL_MS);
        // Leaving the page unregisters it (keepalive outlives the page and carries the CSRF token,
        // which a beacon cannot); another tab of the same person registers again on its next poll.
        window.addEventListener("pagehide", () => {
          fetch("/desktop/device/unregister", {
            method: "POST", keepalive: true, credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": window.CSRF_TOKEN }, body: "{}",
          }).catch(() => {});
        });
      },
      answer: () => act("answer"),
      reject: () => act("reject"),
      hangup: () => act("hangup"),
      mute: (on) => act(on ? "mute" : "unmute"),
    };
  }

  const backend = config.mode === "twilio" ? twilioBackend() : simulatorBackend();

  async function start() {
    if (!config.rings_browser) { emit({ phase: "off" }); return; }
    emit({ phase: "starting" });
    try { await backend.start(); } catch (err) { emit({ phase: "unavailable" }); fail(err); }
  }

  $("sp-answer").addEventListener("click", () => backend.answer());
  $("sp-reject").addEventListener("click", () => backend.reject());
  $("sp-hangup").addEventListener("click", () => backend.hangup());
  $("sp-mute").addEventListener("click", () => backend.mute(!state.muted));

  // -- where my calls ring ----------------------------------------------------------------------
  const kind = $("sp-contact-kind");
  const value = $("sp-contact-value");
  function showKind() {
    const needsValue = kind.value !== "browser";
    $("sp-contact-value-label").hidden = !needsValue;
    value.required = needsValue;
    value.placeholder = kind.value === "phone" ? "+14155550100" : "sip:alice@pbx.example.com";
  }
  kind.addEventListener("change", showKind);
  $("sp-contact").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("sp-contact-error").hidden = true;
    try {
      const answer = await post("/desktop/contact", { kind: kind.value, value: kind.value === "browser" ? "" : value.value });
      const wasBrowser = config.rings_browser;
      Object.assign(config, answer);
      $("sp-contact-saved").textContent = answer.rings_browser ? "Saved: calls ring in this browser." : `Saved: calls ring at ${answer.contact_value}.`;
      if (answer.rings_browser && !wasBrowser) { await start(); } else { render(); }
    } catch (err) {
      $("sp-contact-error").textContent = err.message;
      $("sp-contact-error").hidden = false;
    }
  });
  showKind();

  window.Softphone = {
    explainError,
    ringing: () => state.phase === "ringing",
    connected: () => state.phase === "connected",
    answer: () => backend.answer(),
    reject: () => backend.reject(),
    state: () => Object.assign({}, state),
  };
  document.addEventListener("desktop:snapshot", render);
  start();
})();
