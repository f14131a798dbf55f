// Supervisor board: queues, alerts, dialer and the agent grid, live over Socket.IO.
// The page asks for a snapshot on every (re)connection, then applies `board.update`s (at most a
// few a second: the server coalesces). Data is only ever written with textContent.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const SLOTS = 96;
  const board = { queues: [], agents: new Map(), dialer: [], alerts: [], offset: 0, receivedAt: 0 };

  function text(value) { return value === null || value === undefined ? "" : String(value); }
  function el(tag, content, cls) {
    const e = document.createElement(tag);
    if (content !== undefined) { e.textContent = text(content); }
    if (cls) { e.className = cls; }
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, String(v)));
    return e;
  }
  function pct(v) { return v === null || v === undefined ? "–" : `${Math.round(v * 100)} %`; }
  function secs(v) { return v === null || v === undefined ? "–" : `${Math.round(v)} s`; }
  function clockText(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = String(m).padStart(2, "0"), rr = String(r).padStart(2, "0");
    return h ? `${h}:${mm}:${rr}` : `${m}:${rr}`;
  }
  // Server time now, as far as this page can tell (the offset is refreshed with each update).
  function serverNow() { return Date.now() / 1000 + board.offset; }

  // -- queues ----------------------------------------------------------------------------------
  function figure(name, label, value) {
    const box = el("div");
    const dt = el("dt", label);
    const dd = el("dd", value);
    dd.dataset.field = name;
    box.append(dt, dd);
    return box;
  }

  function longestWait(q) {
    if (!q.waiting) { return 0; }
    return q.longest_wait_s + Math.max(0, Date.now() / 1000 - board.receivedAt);
  }

  function chart(q) {
    const w = 320, h = 100, top = 8, base = 86;
    const box = svg("svg", { viewBox: `0 0 ${w} ${h}`, class: "chart", role: "img" });
    const title = svg("title");
    title.textContent = `${q.name}: calls and service level per 15 minutes today`;
    box.append(title);
    const points = (q.today && q.today.intervals) || [];
    const maxOffered = Math.max(1, ...points.map((p) => p.offered));
    const slotW = w / SLOTS;
    points.forEach((p) => {
      const bh = (p.offered / maxOffered) * (base - top);
      const x = p.slot * slotW;
      const bar = svg("rect", { x: x.toFixed(1), y: (base - bh).toFixed(1), width: Math.max(1, slotW - 0.6).toFixed(1), height: bh.toFixed(1), class: "bar" });
      const tip = svg("title");
      tip.textContent = `${p.label}: ${p.offered} offered, ${p.answered} answered, ${p.abandoned} abandoned, SL ${pct(p.service_level)}`;
      bar.append(tip);
      box.append(bar);
      if (p.abandoned) {
        const ah = (p.abandoned / maxOffered) * (base - top);
        box.append(svg("rect", { x: x.toFixed(1), y: (base - ah).toFixed(1), width: Math.max(1, slotW - 0.6).toFixed(1), height: ah.toFixed(1), class: "bar abandoned" }));
      }
    });
    const ty = base - q.sl_target * (base - top);
    box.append(svg("line", { x1: 0, x2: w, y1: ty.toFixed(1), y2: ty.toFixed(1), class: "target" }));
    const line = points.filter((p) => p.service_level !== null)
      .map((p) => `${(p.slot * slotW + slotW / 2).toFixed(1)},${(base - p.service_level * (base - top)).toFixed(1)}`);
    if (line.length) { box.append(svg("polyline", { points: line.join(" "), class: "sl" })); }
    [0, 6, 12, 18].forEach((hour) => {
      const label = svg("text", { x: (hour * 4 * slotW + 1).toFixed(1), y: h - 2 });
      label.textContent = `${String(hour).padStart(2, "0")}:00`;
      box.append(label);
    });
    return box;
  }

  function renderQueues() {
    const target = $("queues");
    target.replaceChildren();
    board.queues.forEach((q) => {
      const card = el("article", undefined, "card queue");
      card.dataset.queue = q.queue;
      if (q.alerts && q.alerts.length) { card.classList.add("alerting"); }
      card.append(el("h2", q.name));
      const t = q.today || {};
      const a = q.agents || {};
      const dl = el("dl", undefined, "figures");
      dl.append(
        figure("waiting", "Waiting", q.waiting),
        figure("longest_wait", "Longest wait", clockText(longestWait(q))),
        figure("service_level", `SL today (${Math.round(q.sl_target * 100)}/${q.sl_threshold_s})`, pct(t.service_level)),
        figure("offered", "Offered", t.offered),
        figure("answered", "Answered", t.answered),
        figure("abandoned", "Abandoned", t.abandoned),
        figure("asa", "ASA", secs(t.asa_s)),
        figure("aht", "AHT", secs(t.aht_s)),
        figure("available", "Available", a.available),
        figure("on_call", "On call", (a.on_call || 0) + (a.reserved || 0)),
        figure("wrap_up", "Wrap-up", a.wrap_up),
        figure("break", "Break", a.break),
      );
      card.append(dl, chart(q));
      target.append(card);
    });
  }

  function tickWaits() {
    board.queues.forEach((q) => {
      const cell = document.querySelector(`[data-queue="${CSS.escape(q.queue)}"] [data-field="longest_wait"]`);
      if (cell) { cell.textContent = clockText(longestWait(q)); }
    });
  }

  // -- alerts ----------------------------------------------------------------------------------
  function renderAlerts(fresh) {
    const freshKeys = new Set((fresh || []).map((a) => a.key));
    const target = $("alerts");
    target.replaceChildren();
    board.alerts.forEach((a) => {
      const item = el("p", a.message, "alert" + (freshKeys.has(a.key) ? " fresh" : ""));
      item.dataset.kind = a.kind;
      item.dataset.queue = a.queue;
      target.append(item);
    });
  }

  // -- dialer ----------------------------------------------------------------------------------
  function renderDialer() {
    $("dialer-card").hidden = board.dialer.length === 0;
    const body = $("dialer").querySelector("tbody");
    body.replaceChildren();
    board.dialer.forEach((c) => {
      const row = el("tr");
      row.dataset.campaign = String(c.campaign_id);
      [
        `${c.name} (${c.status})`, c.mode, c.dialed, c.answered, c.connected,
        `${pct(c.abandon_rate_window)} of ${pct(c.abandon_cap)} cap`, pct(c.abandon_rate_today),
        c.leads_left, c.dial_ratio === null ? "–" : c.dial_ratio.toFixed(2),
      ].forEach((v) => row.append(el("td", v)));
      body.append(row);
    });
  }

  // -- agents ----------------------------------------------------------------------------------
  function agentRow(agent) {
    const row = el("tr");
    row.dataset.agent = agent.agent_id;
    row.append(el("td", agent.name));
    const state = el("td", agent.reason ? `${agent.state} (${agent.reason})` : agent.state, "state");
    state.dataset.state = agent.state;
    row.append(state);
    const since = el("td", agent.since === null ? "–" : clockText(serverNow() - agent.since), "since");
    if (agent.since !== null) { since.dataset.since = String(agent.since); }
    row.append(since, el("td", (agent.queues || []).join(", ")), el("td", agent.calls_today));
    const change = el("td");
    change.append($("agent-actions").content.cloneNode(true));
    change.querySelector(".set-state").addEventListener("click", () => {
      const [s, reason] = change.querySelector(".state-choice").value.split(":");
      act(`/board/agents/${encodeURIComponent(agent.agent_id)}/state`, { state: s, reason: reason || null });
    });
    row.append(change);
    const call = el("td");
    if (agent.state === "on_call") {
      call.append($("call-actions").content.cloneNode(true));
      call.querySelectorAll(".supervise").forEach((b) => b.addEventListener("click", () =>
        act(`/board/agents/${encodeURIComponent(agent.agent_id)}/supervise`, { mode: b.dataset.mode }, (data) => {
          const s = data.supervision;
          $("supervision").textContent = `${s.mode} on ${agent.name}'s call`;
          $("supervision-stop").hidden = false;
        })));
    }
    row.append(call);
    return row;
  }

  function renderTotals() {
    const totals = {};
    board.agents.forEach((a) => { totals[a.state] = (totals[a.state] || 0) + 1; });
    $("agent-totals").textContent = Object.entries(totals).map(([k, v]) => `${k} ${v}`).join(" · ");
  }

  function renderAgents() {
    const body = $("agents").querySelector("tbody");
    const rows = [...board.agents.values()].sort((a, b) => a.name.localeCompare(b.name) || a.agent_id.localeCompare(b.agent_id));
    body.replaceChildren(...rows.map(agentRow));
    renderTotals();
  }

  // Redraw only the rows that changed, so a supervisor's half-made choice elsewhere survives; in a
  // row that changed, the state they picked (and the focus on it) is carried over, so an update
  // arriving between picking "break: lunch" and pressing Set never sets another state.
  function renderChangedAgents(changed) {
    const body = $("agents").querySelector("tbody");
    for (const agent of changed) {
      const old = body.querySelector(`tr[data-agent="${CSS.escape(agent.agent_id)}"]`);
      if (!old) { renderAgents(); return; }
      const fresh = agentRow(agent);
      const picked = old.querySelector(".state-choice");
      const choice = fresh.querySelector(".state-choice");
      if (picked && choice) {
        choice.value = picked.value;
        if (document.activeElement === picked) { old.replaceWith(fresh); choice.focus(); continue; }
      }
      old.replaceWith(fresh);
    }
    renderTotals();
  }

  function tickAgents() {
    document.querySelectorAll("#agents td.since[data-since]").forEach((cell) => {
      cell.textContent = clockText(serverNow() - Number(cell.dataset.since));
    });
  }

  // -- applying data ---------------------------------------------------------------------------
  function stamp(serverTime) {
    board.receivedAt = Date.now() / 1000;
    board.offset = serverTime - board.receivedAt;
    $("updated").textContent = new Date().toLocaleTimeString();
  }

  function applySnapshot(snap) {
    if (!snap || !snap.queues) { return; }
    stamp(snap.server_time);
    board.queues = snap.queues;
    board.dialer = snap.dialer || [];
    board.alerts = snap.alerts || [];
    board.agents = new Map(snap.agents.map((a) => [a.agent_id, a]));
    renderQueues(); renderAlerts(); renderDialer(); renderAgents();
  }

  function applyUpdate(update) {
    stamp(update.server_time);
    const before = new Map(board.queues.map((q) => [q.queue, q]));
    // Today's figures come only when they changed: keep the last ones for a row without them.
    board.queues = update.queues.map((q) => (q.today || !before.has(q.queue) ? q : { ...q, today: before.get(q.queue).today }));
    board.dialer = update.dialer || [];
    board.alerts = update.alerts || [];
    const removed = update.removed || [];
    removed.forEach((id) => board.agents.delete(id));
    const changed = [];
    let reorder = removed.length > 0;
    (update.agents || []).forEach((a) => {
      const known = board.agents.get(a.agent_id);
      if (!known || known.since === null || (a.since !== null && known.since <= a.since)) {
        if (!known || known.name !== a.name) { reorder = true; }
        board.agents.set(a.agent_id, a);
        changed.push(a);
      }
    });
    renderQueues(); renderAlerts(update.new_alerts); renderDialer();
    if (reorder) { renderAgents(); } else if (changed.length) { renderChangedAgents(changed); }
  }

  const post = window.postJson;

  async function act(url, body, then) {
    $("action-error").hidden = true;
    try {
      const data = await post(url, body);
      if (then) { then(data); }
    } catch (err) {
      $("action-error").textContent = err.message;
      $("action-error").hidden = false;
    }
  }

  $("supervision-stop").addEventListener("click", () => act("/board/supervision/stop", {}, () => {
    $("supervision").textContent = "Not listening to any call.";
    $("supervision-stop").hidden = true;
  }));

  const socket = io({ transports: ["websocket", "polling"] });
  function resync() { socket.emit("snapshot.request", {}, applySnapshot); }
  socket.on("connect", () => { $("connection").textContent = "live"; resync(); });
  socket.on("disconnect", () => { $("connection").textContent = "reconnecting…"; });
  socket.on("board.update", applyUpdate);
  document.addEventListener("visibilitychange", () => { if (!document.hidden && socket.connected) { resync(); } });
  setInterval(() => { tickAgents(); tickWaits(); }, 1000);
  window.Board = { board, socket };
})();
