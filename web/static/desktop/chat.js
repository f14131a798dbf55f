// Desktop panel: the web chat the agent is on. The conversation, a composer (Enter sends,
// Shift+Enter makes a new line), the visitor's typing, canned answers (the macros meant for
// customers), the customer 360, "End chat" and then the chat's wrap-up. Everything the visitor
// wrote is shown with textContent: it is data, never markup.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const D = window.Desktop;
  let chat = null;  // the chat's view from /desktop/chats/<id>
  let chatId = null;
  let lastSeq = 0;
  let typingTimer = null;
  let sentTyping = false;
  let stopTypingTimer = null;

  function showError(message) {
    $("chat-error").textContent = message || "";
    $("chat-error").hidden = !message;
  }

  function line(m) {
    const li = document.createElement("li");
    li.className = m.author;
    li.dataset.seq = String(m.seq);
    if (m.author !== "system") { li.append(D.el("span", m.name)); li.firstChild.className = "who"; }
    li.append(document.createTextNode(m.body));
    return li;
  }

  function append(messages) {
    const log = $("chat-log");
    messages.forEach((m) => {
      if (m.seq <= lastSeq) { return; }
      log.append(line(m));
      lastSeq = m.seq;
    });
    log.scrollTop = log.scrollHeight;
  }

  function showTyping(on) {
    clearTimeout(typingTimer);
    $("chat-typing-who").textContent = chat ? chat.visitor : "The visitor";
    $("chat-typing").hidden = !on;
    if (on) { typingTimer = setTimeout(() => { $("chat-typing").hidden = true; }, 6000); }
  }

  function render(view) {
    const fresh = !chat || chat.id !== view.id;
    chat = view;
    $("chat").hidden = false;
    $("chat-visitor").textContent = view.visitor;
    $("chat-email").textContent = view.email;
    $("chat-ticket").textContent = view.ticket_id ? `#${view.ticket_id}` : "";
    $("chat-ticket").href = view.ticket_id ? `/tickets/${encodeURIComponent(view.ticket_id)}` : "#";
    $("chat-origin").textContent = view.origin ? `from ${view.origin}` : "";
    if (fresh) {
      lastSeq = 0;
      $("chat-log").replaceChildren();
      const canned = $("chat-canned");
      canned.replaceChildren(new Option("Canned response…", ""));
      view.canned.forEach((c) => canned.append(new Option(c.name, String(c.id))));
      canned.disabled = view.canned.length === 0;
      D.renderPop($("chat-pop"), view.pop, false, false);
    }
    append(view.messages);
    showTyping(view.visitor_typing);
    const ended = view.status === "ended";
    $("chat-composer").hidden = ended;
    $("chat-wrapup").hidden = !ended;
    if (fresh && !ended) { $("chat-text").focus(); }
  }

  async function load(id) {
    try {
      const resp = await fetch(`/desktop/chats/${encodeURIComponent(id)}`, { credentials: "same-origin" });
      if (resp.ok) { render(await resp.json()); }
    } catch (err) { /* the next snapshot or event asks again */ }
  }

  function hide() {
    chat = null; chatId = null; lastSeq = 0;
    $("chat").hidden = true;
    showError("");
  }

  document.addEventListener("desktop:snapshot", (event) => {
    const snap = event.detail;
    const current = snap.chat;
    if (!current) { hide(); return; }
    if (current.id !== chatId) { chatId = current.id; }
    $("call").hidden = true;  // a chat has no call card
    load(current.id);
  });

  async function send() {
    const body = $("chat-text").value;
    if (!chat || !body.trim()) { return; }
    showError("");
    $("chat-send").disabled = true;
    try {
      const done = await D.post(`/desktop/chats/${encodeURIComponent(chat.id)}/messages`, { body });
      $("chat-text").value = "";
      sentTyping = false;
      append([done.message]);
    } catch (err) { showError(err.message); }
    $("chat-send").disabled = false;
    $("chat-text").focus();
  }

  $("chat-composer").addEventListener("submit", (event) => { event.preventDefault(); send(); });
  $("chat-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); send(); }
  });
  // Typing: told once when it starts, and "stopped" after a pause (the server forgets it after 6 s anyway).
  $("chat-text").addEventListener("input", () => {
    if (!chat) { return; }
    clearTimeout(stopTypingTimer);
    if (!sentTyping) {
      sentTyping = true;
      D.post(`/desktop/chats/${encodeURIComponent(chat.id)}/typing`, { typing: true }).catch(() => {});
    }
    stopTypingTimer = setTimeout(() => {
      sentTyping = false;
      if (chat) { D.post(`/desktop/chats/${encodeURIComponent(chat.id)}/typing`, { typing: false }).catch(() => {}); }
    }, 3000);
  });
  $("chat-canned").addEventListener("change", () => {
    const picked = chat && chat.canned.find((c) => String(c.id) === $("chat-canned").value);
    if (picked) {
      const box = $("chat-text");
      box.value = box.value ? `${box.value}\n${picked.text}` : picked.text;
      box.focus();
    }
    $("chat-canned").value = "";
  });
  $("chat-end").addEventListener("click", async () => {
    if (!chat) { return; }
    try { await D.post(`/desktop/chats/${encodeURIComponent(chat.id)}/end`, {}); } catch (err) { showError(err.message); }
    await D.refresh();
  });
  $("chat-wrapup").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chat) { return; }
    try {
      await D.post(`/desktop/chats/${encodeURIComponent(chat.id)}/wrapup`, { notes: $("chat-notes").value });
      $("chat-notes").value = "";
    } catch (err) { showError(err.message); }
    await D.refresh();
  });

  // Live: the visitor's messages and typing, and the end, arrive as events on the agent's room.
  D.socket.on("chat.message", (event) => {
    if (chat && event.chat_id === chat.id && event.message) {
      if (event.message.author === "visitor") { showTyping(false); }
      append([event.message]);
    }
  });
  D.socket.on("chat.typing", (event) => {
    if (chat && event.chat_id === chat.id && event.who === "visitor") { showTyping(!!event.typing); }
  });
  D.socket.on("chat.ended", (event) => {
    if (chat && event.chat_id === chat.id) { D.refresh(); }
  });
  // After a reconnect the snapshot reloads the chat; nothing is replayed from events.
})();
