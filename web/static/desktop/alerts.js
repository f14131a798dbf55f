// desktop: what tells the agent something happened — a ring while an offer waits (a tone made
// with WebAudio, nothing downloaded), a browser notification when the tab is hidden (permission
// asked from a button, never on load), and notices for offers that end without an answer:
// "Caller hung up", or "Missed — you are on break" with a one-click return to available.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const D = window.Desktop;
  let audio = null;
  let ringTimer = null;
  let ringingFor = null;
  let notified = null;
  let noticeKind = null;

  // -- ring ---------------------------------------------------------------------------------
  function context() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return null; }
    if (!audio) { audio = new Ctx(); }
    if (audio.state === "suspended") { audio.resume().catch(() => {}); }
    return audio;
  }
  // Browsers allow sound only after the person has used the page: any click or key unlocks it.
  ["pointerdown", "keydown"].forEach((name) => document.addEventListener(name, context, { passive: true }));

  function burst() {
    const ctx = context();
    if (!ctx || ctx.state !== "running") { return; }
    const start = ctx.currentTime;
    [0, 0.25].forEach((offset) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = offset ? 480 : 440;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.22);
    });
    document.body.dataset.rings = String(Number(document.body.dataset.rings || 0) + 1);
  }

  function ring(offerId) {
    if (offerId === ringingFor) { return; }
    clearInterval(ringTimer);
    ringingFor = offerId;
    if (!offerId) { return; }
    burst();
    ringTimer = setInterval(burst, 2000);
  }

  // -- notifications ---------------------------------------------------------------------------
  function notificationsOn() { return "Notification" in window && Notification.permission === "granted"; }
  function showNotifyButton() {
    $("notify-enable").hidden = !("Notification" in window) || Notification.permission !== "default";
  }
  $("notify-enable").addEventListener("click", async () => {
    try { await Notification.requestPermission(); } catch (err) { /* older browsers: callback form only */ }
    showNotifyButton();
  });
  showNotifyButton();

  let firstSeen = { id: null, at: 0 };
  function notify(snap) {
    if (!snap.offer || notified === snap.offer.offer_id || !document.hidden || !notificationsOn()) { return; }
    if (firstSeen.id !== snap.offer.offer_id) { firstSeen = { id: snap.offer.offer_id, at: Date.now() }; }
    // Name the caller: the pop can land a moment after the offer (the page asks again until it
    // does); past a second and a half, the notification goes out without it.
    if (!snap.offer_pop && Date.now() - firstSeen.at < 1500) { return; }
    notified = snap.offer.offer_id;
    const pop = snap.offer_pop;
    const caller = pop && pop.customer ? pop.customer.name : (pop && pop.from) || "A caller";
    const note = new Notification("Incoming call", {
      body: `${caller}${snap.offer_queue ? " · " + snap.offer_queue : ""}`, tag: "desktop-offer", requireInteraction: true,
    });
    note.onclick = () => { window.focus(); note.close(); };
  }

  // -- notices -------------------------------------------------------------------------------
  function showNotice(kind, message) {
    noticeKind = kind;
    $("notice").hidden = !kind;
    $("notice").dataset.kind = kind || "";
    $("notice-text").textContent = message || "";
    $("notice-available").hidden = kind !== "missed";
  }

  document.addEventListener("desktop:notice", (event) => {
    if (event.detail.kind === "caller_left") { showNotice("caller_left", "Caller hung up before you answered. You are available again."); }
  });

  $("notice-available").addEventListener("click", async () => {
    await D.setState("available");
  });
  $("notice-dismiss").addEventListener("click", () => showNotice(null));

  // The browser softphone ringing (desktop/softphone.js) rings and notifies like an offer.
  let phoneCall = null;
  let lastOffer = null;
  function ringWhatRings() { ring(lastOffer || (phoneCall ? `phone-${phoneCall.call_sid}` : null)); }
  document.addEventListener("softphone:ringing", (event) => {
    phoneCall = event.detail;
    ringWhatRings();
    if (phoneCall && document.hidden && notificationsOn()) {
      const note = new Notification("Softphone ringing", {
        body: `${phoneCall.from || "A call"} — answer in the desktop`, tag: "desktop-softphone", requireInteraction: true,
      });
      note.onclick = () => { window.focus(); note.close(); };
    }
  });

  document.addEventListener("desktop:snapshot", (event) => {
    const snap = event.detail;
    const agent = snap.agent || {};
    lastOffer = snap.offer ? snap.offer.offer_id : null;
    ringWhatRings();
    notify(snap);
    const missed = agent.state === "break" && agent.reason === "missed";
    if (missed && noticeKind !== "missed") {
      showNotice("missed", D.rejectedLastOffer() ? "Rejected — you are on break until you return." : "Missed — you are on break");
    } else if (!missed && noticeKind === "missed") {
      showNotice(null);
    }
    if (snap.offer && noticeKind === "caller_left") { showNotice(null); }  // a new call takes its place
  });
})();
