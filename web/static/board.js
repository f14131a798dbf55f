// Supervisor board and wallboard: queues (thresholds, charts), alerts (acknowledge), dialer and the
// agent grid (sort, filter), live over Socket.IO. The page asks for a snapshot on every
// (re)connection, then applies `board.update`s (at most a few a second: the server coalesces).
// Data is only ever written with textContent. `#board[data-mode=wall]` is the wallboard: the same
// figures in large type, without controls.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("board");
  const WALL = root.dataset.mode === "wall";
  const charts = window.BoardCharts;
  const board = { queues: [], agents: new Map(), dialer: [], channels: [], alerts: [], offset: 0, receivedAt: 0 };
  const view = { sort: "name", dir: 1, queue: "", team: "" };
  const LEVEL_TEXT = { ok: "OK", warn: "Warning", critical: "Critical" };
  const LEVEL_ICON = { ok: "\u2714", warn: "\u26A0", critical: "\u2716" };
  const STATE_ORDER = { on_call: 0, reserved: 1, wrap_up: 2, available: 3, break: 4, offline: 5 };

  function text(value) { return value === null || value === undefined ? "" : String(value); }
  function el(tag, content, cls) {
    const e = document.createElement(tag);
    if (content !== undefined) { e.textContent = text(content); }
    if (cls) { e.className = cls; }
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
  function hhmm(ts) { return new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
  // Server time now, as far as this page can tell (the offset is refreshed with each update).
  function serverNow() { return Date.now() / 1000 + board.offset; }

  // -- queues ----------------------------------------------------------------------------------
  function figure(name, label, value, level) {
    const box = el("div");
    const dt = el("dt", label);
    const dd = el("dd", value);
    dd.dataset.field = name;
    box.append(dt, dd);
    if (level && level !== "ok") {
      box.className = `level-${level}`;
      box.dataset.level = level;
      const mark = el("span", ` ${LEVEL_ICON[level]} ${LEVEL_TEXT[level]}`, "level-word");
      dt.append(mark);
    }
    return box;
  }

  function longestWait(q) {
    if (!q.waiting) { return 0; }
    return q.longest_wait_s + Math.max(0, Date.now() / 1000 - board.receivedAt);
  }

  function renderQueues() {
    const target = $("queues");
    target.replaceChildren();
    board.queues.forEach((q) => {
      const level = q.level || "ok";
      const lv = q.levels || {};
      const card = el("article", undefined, `card queue level-${level}`);
      card.dataset.queue = q.queue;
      card.dataset.level = level;
      if (q.alerts && q.alerts.length) { card.classList.add("alerting"); }
      const head = el("h2", q.name);
      const badge = el("span", `${LEVEL_ICON[level]} ${LEVEL_TEXT[level]}`, `badge level-${level}`);
      badge.dataset.level = level;
      if (level === "ok" && !Object.keys(q.thresholds || {}).length) { badge.textContent = ""; badge.hidden = true; }
      head.append(" ", badge);
      card.append(head);
      const t = q.today || {};
      const a = q.agents || {};
      const dl = el("dl", undefined, "figures");
      dl.append(
        figure("waiting", "Waiting", q.waiting, lv.waiting),
        figure("longest_wait", "Longest wait", clockText(longestWait(q)), lv.longest_wait_s),
        figure("service_level", `SL today (${Math.round(q.sl_target * 100)}/${q.sl_threshold_s})`, pct(t.service_level), lv.service_level),
        figure("offered", "Offered", t.offered),
      );
      if (!WALL) {
        dl.append(
          figure("answered", "Answered", t.answered),
          figure("abandoned", "Abandoned", t.abandoned),
          figure("asa", "ASA", secs(t.asa_s)),
          figure("aht", "AHT", secs(t.aht_s)),
        );
      }
      dl.append(
        figure("available", "Available", a.available),
        figure("on_call", "On call", (a.on_call || 0) + (a.reserved || 0)),
        figure("wrap_up", "Wrap-up", a.wrap_up),
        figure("break", "Break", a.break),
      );
      card.append(dl, charts.gauge(q));
      card.append(charts.intervals(q, serverNow(), { big: WALL }));
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
  function renderAlerts() {
    const target = $("alerts");
    target.replaceChildren();
    board.alerts.forEach((a) => {
      const ack = a.acknowledged;
      const level = a.level || "critical";
      const item = el("div", undefined, `alert level-${level}` + (ack ? " acknowledged" : " flashing"));
      item.dataset.kind = a.kind;
      item.dataset.queue = a.queue;
      item.dataset.key = a.key;
      item.setAttribute("role", "status");
      item.append(el("span", `${LEVEL_ICON[level] || "!"} ${LEVEL_TEXT[level] || "Alert"}`, "alert-level"), el("span", a.message, "alert-message"));
      if (ack) {
        item.append(el("span", `Acknowledged by ${ack.by} at ${hhmm(ack.at)}`, "ack-note"));
      } else if (!WALL) {
        const button = el("button", "Acknowledge", "ack secondary");
        button.type = "button";
        button.addEventListener("click", () => acknowledge(a.key, button));
        item.append(button);
      }
      target.append(item);
    });
  }

  async function acknowledge(key, button) {
    $("ack-error").hidden = true;
    button.disabled = true;
    try {
      const data = await window.postJson("/board/alerts/ack", { key });
      board.alerts = board.alerts.map((a) => (a.key === key ? { ...a, acknowledged: data.acknowledged } : a));
      renderAlerts();
    } catch (err) {
      button.disabled = false;
      $("ack-error").textContent = err.message;
      $("ack-error").hidden = false;
    }
  }

  // -- dialer ----------------------------------------------------------------------------------
  function renderDialer() {
    if (WALL) { return; }
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

  // -- written channels ------------------------------------------------------------------------
  const CHANNEL_NAMES = { chat: "Chat", email: "E-mail", sms: "SMS", web: "Web form", social: "Social", api: "API" };

  function waited(v) {
    if (v === null || v === undefined) { return "–"; }
    if (v < 120) { return `${Math.round(v)} s`; }
    if (v < 7200) { return `${Math.round(v / 60)} min`; }
    return `${(v / 3600).toFixed(1)} h`;
  }

  function renderChannels() {
    const card = $("channels-card");
    if (!card) { return; }
    card.hidden = board.channels.length === 0;
    const body = $("channels").querySelector("tbody");
    body.replaceChildren();
    board.channels.forEach((c) => {
      const row = el("tr");
      row.dataset.channel = c.channel;
      const name = el("th", CHANNEL_NAMES[c.channel] || c.channel);
      name.scope = "row";
      row.append(name);
      const waiting = el("td", c.breaching ? `${c.waiting} (${c.breaching} past target)` : String(c.waiting));
      if (c.breaching) { waiting.classList.add("level-critical"); }
      row.append(waiting);
      [
        waited(c.oldest_wait_s),
        `${pct(c.service_level)} (${c.met_today} of ${c.met_today + c.breached_today})`,
        c.opened_today,
        c.target || "no target",
      ].forEach((v) => row.append(el("td", v)));
      body.append(row);
    });
  }

  // -- agents ----------------------------------------------------------------------------------
  const SORT_KEYS = {
    name: (a) => a.name.toLowerCase(),
    team: (a) => (a.team || "\uffff").toLowerCase(),
    state: (a) => STATE_ORDER[a.state] ?? 9,
    since: (a) => (a.since === null ? Infinity : a.since),
    caller: (a) => (a.call ? a.call.caller : "\uffff"),
    queue: (a) => (a.call && a.call.queue_name ? a.call.queue_name.toLowerCase() : "\uffff"),
    direction: (a) => (a.call ? a.call.direction : "\uffff"),
    duration: (a) => (a.call && a.call.answered_at ? a.call.answered_at : Infinity),
    calls_today: (a) => -(a.calls_today || 0),
  };

  function agentRow(agent) {
    const row = el("tr");
    row.dataset.agent = agent.agent_id;
    row.dataset.state = agent.state;
    row.append(el("td", agent.name, "name"), el("td", agent.team || "–", "team"));
    const state = el("td", agent.state_label || agent.state, "state");
    state.dataset.state = agent.state;
    row.append(state);
    const since = el("td", agent.since === null ? "–" : clockText(serverNow() - agent.since), "since");
    if (agent.since !== null) { since.dataset.since = String(agent.since); }
    row.append(since);
    const call = agent.call;
    row.append(
      el("td", call ? call.caller : "–", "caller"),
      el("td", call ? call.queue_name || "–" : "–", "queue"),
      el("td", call ? (call.direction === "outbound" ? "Outbound" : "Inbound") : "–", "direction"),
    );
    const dur = el("td", call && call.answered_at ? clockText(serverNow() - call.answered_at) : "–", "duration");
    if (call && call.answered_at) { dur.dataset.since = String(call.answered_at); }
    row.append(dur, el("td", agent.calls_today, "calls"));
    const change = el("td");
    change.append($("agent-actions").content.cloneNode(true));
    change.querySelector(".state-choice").setAttribute("aria-label", `New state for ${agent.name}`);
    change.querySelector(".set-state").addEventListener("click", () => {
      const [s, reason] = change.querySelector(".state-choice").value.split(":");
      act(`/board/agents/${encodeURIComponent(agent.agent_id)}/state`, { state: s, reason: reason || null });
    });
    row.append(change);
    const listen = el("td");
    if (agent.state === "on_call") {
      listen.append($("call-actions").content.cloneNode(true));
      listen.querySelectorAll(".supervise").forEach((b) => b.addEventListener("click", () =>
        act(`/board/agents/${encodeURIComponent(agent.agent_id)}/supervise`, { mode: b.dataset.mode }, (data) => {
          const s = data.supervision;
          $("supervision").textContent = `${s.mode} on ${agent.name}'s call`;
          $("supervision-stop").hidden = false;
        })));
    }
    row.append(listen);
    return row;
  }

  function renderTotals() {
    const totals = {};
    board.agents.forEach((a) => {
      const label = (a.state_label || a.state).replace(/ \(.*\)$/, "");
      totals[label] = (totals[label] || 0) + 1;
    });
    $("agent-totals").textContent = Object.entries(totals).map(([k, v]) => `${k} ${v}`).join(" · ");
  }

  function visible(a) {
    if (view.queue && !(a.queues || []).includes(view.queue) && !(a.call && a.call.queue === view.queue)) { return false; }
    if (view.team === "-") { return !a.team; }
    if (view.team && a.team !== view.team) { return false; }
    return true;
  }

  function sorted(rows) {
    const key = SORT_KEYS[view.sort] || SORT_KEYS.name;
    return rows.sort((a, b) => {
      const ka = key(a), kb = key(b);
      const c = ka < kb ? -1 : ka > kb ? 1 : 0;
      return c * view.dir || a.name.localeCompare(b.name) || a.agent_id.localeCompare(b.agent_id);
    });
  }

  function syncOptions(select, values, keep) {
    const have = [...select.options].slice(keep).map((o) => o.value);
    const want = values.map(([v]) => v);
    if (have.length === want.length && have.every((v, i) => v === want[i])) { return; }
    const chosen = select.value;
    [...select.options].slice(keep).forEach((o) => o.remove());
    values.forEach(([v, label]) => { const o = el("option", label); o.value = v; select.append(o); });
    select.value = want.includes(chosen) || [...select.options].slice(0, keep).some((o) => o.value === chosen) ? chosen : "";
  }

  function renderFilters() {
    syncOptions($("filter-queue"), board.queues.map((q) => [q.queue, q.name]), 1);
    const teams = [...new Set([...board.agents.values()].map((a) => a.team).filter(Boolean))].sort();
    syncOptions($("filter-team"), teams.map((t) => [t, t]), 2);
  }

  // Redraw the grid in the chosen order and filter. A supervisor's half-made choice of a state
  // (and the focus on it) is carried over, so an update arriving between picking
  // "break: lunch" and pressing Set never sets another state.
  function renderAgents() {
    if (WALL) { renderTotals(); return; }
    const body = $("agents").querySelector("tbody");
    const picks = new Map();
    let focused = null;
    body.querySelectorAll("tr").forEach((tr) => {
      const choice = tr.querySelector(".state-choice");
      if (choice) {
        picks.set(tr.dataset.agent, choice.value);
        if (document.activeElement === choice) { focused = tr.dataset.agent; }
      }
    });
    const rows = sorted([...board.agents.values()].filter(visible));
    const fresh = rows.map(agentRow);
    fresh.forEach((tr) => {
      const pick = picks.get(tr.dataset.agent);
      if (pick) { tr.querySelector(".state-choice").value = pick; }
    });
    body.replaceChildren(...fresh);
    if (focused) {
      const again = body.querySelector(`tr[data-agent="${CSS.escape(focused)}"] .state-choice`);
      if (again) { again.focus(); }
    }
    $("agent-count").textContent = `${rows.length} of ${board.agents.size} agents shown`;
    renderFilters();
    renderTotals();
  }

  function renderSortHeaders() {
    document.querySelectorAll("#agents th[data-sort]").forEach((th) => {
      th.setAttribute("aria-sort", th.dataset.sort === view.sort ? (view.dir > 0 ? "ascending" : "descending") : "none");
    });
  }

  function tickAgents() {
    document.querySelectorAll("#agents td[data-since]").forEach((cell) => {
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
    board.channels = snap.channels || [];
    board.alerts = snap.alerts || [];
    board.agents = new Map(snap.agents.map((a) => [a.agent_id, a]));
    renderQueues(); renderAlerts(); renderDialer(); renderChannels(); renderAgents();
  }

  function applyUpdate(update) {
    stamp(update.server_time);
    const before = new Map(board.queues.map((q) => [q.queue, q]));
    // Today's figures come only when they changed: keep the last ones for a row without them.
    board.queues = update.queues.map((q) => (q.today || !before.has(q.queue) ? q : { ...q, today: before.get(q.queue).today }));
    board.dialer = update.dialer || [];
    board.channels = update.channels || [];
    board.alerts = update.alerts || [];
    const removed = update.removed || [];
    removed.forEach((id) => board.agents.delete(id));
    let reorder = removed.length > 0;
    const changed = [];
    (update.agents || []).forEach((a) => {
      const known = board.agents.get(a.agent_id);
      if (!known || known.since === null || (a.since !== null && known.since <= a.since)) {
        if (!known || known.name !== a.name || known.team !== a.team) { reorder = true; }
        board.agents.set(a.agent_id, a);
        changed.push(a);
      }
    });
    renderQueues(); renderAlerts(); renderDialer(); renderChannels();
    if (reorder || (changed.length && !STABLE_SORTS.has(view.sort)) || (changed.length && view.queue)) {
      renderAgents();
    } else if (changed.length) {
      renderChangedAgents(changed);
    }
  }

  // Sorted by name or team (which state changes do not move) and not filtered by queue: a
  // floor of hundreds redraws only the rows that changed, keeping a half-made choice of state.
  const STABLE_SORTS = new Set(["name", "team"]);
  function renderChangedAgents(changed) {
    if (WALL) { renderTotals(); return; }
    const body = $("agents").querySelector("tbody");
    for (const agent of changed) {
      const old = body.querySelector(`tr[data-agent="${CSS.escape(agent.agent_id)}"]`);
      if (!old) {
        if (visible(agent)) { renderAgents(); return; }
        continue;
      }
      const fresh = agentRow(agent);
      const picked = old.querySelector(".state-choice");
      const choice = fresh.querySelector(".state-choice");
      const focused = picked && document.activeElement === picked;
      if (picked && choice) { choice.value = picked.value; }
      old.replaceWith(fresh);
      if (focused && choice) { choice.focus(); }
    }
    renderTotals();
  }

  async function act(url, body, then) {
    $("action-error").hidden = true;
    try {
      const data = await window.postJson(url, body);
      if (then) { then(data); }
    } catch (err) {
      $("action-error").textContent = err.message;
      $("action-error").hidden = false;
    }
  }

  if (!WALL) {
    $("supervision-stop").addEventListener("click", () => act("/board/supervision/stop", {}, () => {
      $("supervision").textContent = "Not listening to any call.";
      $("supervision-stop").hidden = true;
    }));
    document.querySelectorAll("#agents th[data-sort] button").forEach((button) => {
      button.addEventListener("click", () => {
        const key = button.parentElement.dataset.sort;
        view.dir = view.sort === key ? -view.dir : 1;
        view.sort = key;
        renderSortHeaders();
        renderAgents();
      });
    });
    $("filter-queue").addEventListener("change", (e) => { view.queue = e.target.value; renderAgents(); });
    $("filter-team").addEventListener("change", (e) => { view.team = e.target.value; renderAgents(); });
  }

  const socket = io({ transports: ["websocket", "polling"] });
  function resync() { socket.emit("snapshot.request", {}, applySnapshot); }
  socket.on("connect", () => { $("connection").textContent = "live"; resync(); });
  socket.on("disconnect", () => { $("connection").textContent = "reconnecting…"; });
  socket.on("board.update", applyUpdate);
  document.addEventListener("visibilitychange", () => { if (!document.hidden && socket.connected) { resync(); } });
  function tickClock() {
    if (WALL) { $("wall-clock").textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
  }
  tickClock();
  setInterval(() => { tickAgents(); tickWaits(); tickClock(); }, 1000);
  window.Board = { board, socket, view };
})();
