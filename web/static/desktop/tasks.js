// desktop: the task list — what rings now, the call I am on, the wrap-up I owe, my callbacks
// (due ones marked) and the open tickets assigned to me. Drawn from each snapshot.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const D = window.Desktop;

  function item(title, detail, kind) {
    const li = document.createElement("li");
    li.className = `task ${kind || ""}`;
    li.append(D.el("strong", title));
    if (detail) { li.append(D.el("span", detail)); }
    return li;
  }

  function who(pop, fallback) {
    return pop && pop.customer ? pop.customer.name : (pop && pop.from) || fallback;
  }

  function render(snap) {
    const now = [];
    if (snap.offer && snap.offer_chat) {
      // An offered chat has its own accept in the list (the canvas shows the same offer).
      const li = item("Incoming chat", `${snap.offer_chat.visitor}${snap.offer_queue ? " · " + snap.offer_queue : ""}`, "ringing chat");
      const accept = D.el("button", "Accept chat");
      accept.type = "button";
      accept.className = "task-accept";
      accept.addEventListener("click", () => D.answer("accept"));
      li.append(accept);
      now.push(li);
    } else if (snap.offer) { now.push(item("Incoming call", `${who(snap.offer_pop, "a caller")}${snap.offer_queue ? " · " + snap.offer_queue : ""}`, "ringing")); }
    const held = snap.chats || [];
    if (snap.chat && snap.chat.status !== "ended" && !held.some((c) => c.id === snap.chat.id)) { now.push(item("Current chat", snap.chat.visitor, "live")); }
    for (const c of held) {
      // each chat held at once has its own clock, counting from when it was accepted
      const li = item(`Chat · ${c.visitor}`, "", "live chat");
      const clock = D.el("span", "");
      clock.className = "task-timer";
      clock.dataset.since = String(c.since || snap.now);
      li.append(clock);
      now.push(li);
    }
    if (snap.call) { now.push(item("Current call", `${who(snap.call, "Caller")}${snap.live ? " · " + snap.live.queue : ""}`, "live")); }
    if (snap.wrapup) { now.push(item("Wrap-up owed", snap.wrapup.customer || snap.wrapup.from || "", "wrap")); }
    if (!now.length) { now.push(item("Nothing ringing", "", "idle")); }
    $("task-now").replaceChildren(...now);
    ticking();
  }

  function ticking() {
    for (const clock of document.querySelectorAll("#task-now .task-timer")) {
      const s = Math.max(0, Math.floor(D.serverNow() - Number(clock.dataset.since)));
      clock.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    }
  }
  setInterval(ticking, 1000);

  function renderTasks(tasks) {
    $("task-callbacks").replaceChildren(...tasks.callbacks.map((c) => {
      const li = item(c.name || c.phone, `${c.due ? "Due now" : "At " + D.localTime(c.at)} · ${c.phone} · ${c.campaign}`, c.due ? "due" : "");
      return li;
    }));
    $("task-callbacks-empty").hidden = tasks.callbacks.length > 0;
    $("task-tickets").replaceChildren(...tasks.tickets.map((t) => {
      const li = document.createElement("li");
      li.className = `task ticket ${t.priority}`;
      const link = D.el("a", `#${t.id} ${t.subject}`);
      link.href = `/tickets/${encodeURIComponent(t.id)}`;
      li.append(link, D.el("span", `${t.status} · ${t.priority}${t.sla_due_at ? " · due " + D.localTime(t.sla_due_at) : ""}`));
      return li;
    }));
    $("task-tickets-empty").hidden = tasks.tickets.length > 0;
  }

  // Callbacks and tickets change slowly and are not part of the snapshot (which must stay quick
  // for the screen pop): asked for on (re)connection, when the agent's state changes, and each minute.
  let loading = false;
  let lastState = null;
  async function loadTasks() {
    if (loading) { return; }
    loading = true;
    try {
      const resp = await fetch("/desktop/tasks", { credentials: "same-origin" });
      if (resp.ok) { renderTasks(await resp.json()); }
    } catch (err) { /* the next change or minute asks again */ }
    loading = false;
  }

  document.addEventListener("desktop:snapshot", (event) => {
    render(event.detail);
    const state = event.detail.agent ? event.detail.agent.state : null;
    if (state !== lastState) { lastState = state; setTimeout(loadTasks, 300); }
  });
  D.socket.on("connect", loadTasks);
  setInterval(loadTasks, 60000);
})();
