// contactcenter web chat widget. A company puts ONE tag on its site:
//   <script src="https://cc.example.com/chat/widget.js" data-queue="support" async></script>
// It draws a launcher button and a chat panel inside a shadow root (the site's CSS cannot reach
// in, ours cannot leak out), talks only to the server it was loaded from, and uses no other
// library. The chat token lives in sessionStorage, so a reload or a dropped network keeps the
// conversation: the widget asks for the messages after the last sequence number it saw, and
// messages typed while offline wait in an outbox and are sent with their client id (a resend is
// stored once). Everything from the server or the visitor is shown with textContent only.
(function () {
  "use strict";
  if (window.__contactcenterChat) { return; }
  window.__contactcenterChat = true;

  const script = document.currentScript || document.querySelector('script[src*="/chat/widget.js"]');
  if (!script) { return; }
  const BASE = new URL(script.src, document.baseURI).origin;
  const QUEUE = (script.dataset.queue || "").slice(0, 64);
  const STORE = `contactcenter-chat:${BASE}`;
  const POLL_MS = 1500;
  const MAX_NAME = 200, MAX_EMAIL = 254, MAX_MESSAGE = 2000, MAX_COMMENT = 2000;

  // -- state kept across reloads (this tab only) --------------------------------------------
  function load() {
    try { return JSON.parse(sessionStorage.getItem(STORE)) || {}; } catch (err) { return {}; }
  }
  let state = load();
  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (err) { /* private mode: memory only */ }
  }
  state.outbox = state.outbox || [];
  state.lastSeq = state.lastSeq || 0;

  function clientId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`;
  }

  // -- DOM ---------------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "class") { e.className = v; } else { e.setAttribute(k, v); }
    });
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function field(id, label, control) {
    const wrap = el("div", { class: "field" });
    wrap.append(el("label", { for: id }, label), control);
    return wrap;
  }

  const host = el("div", { id: "contactcenter-chat" });
  const root = host.attachShadow({ mode: "open" });
  root.append(el("link", { rel: "stylesheet", href: `${BASE}/chat/widget.css` }));

  const launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "panel" }, "Chat with us");
  const panel = el("section", { class: "panel", id: "panel", role: "dialog", "aria-label": "Chat with us", hidden: "" });
  const head = el("header", { class: "head" });
  const title = el("h2", { class: "title" }, "Chat with us");
  const close = el("button", { class: "close", type: "button", "aria-label": "Minimise chat" }, "×");
  head.append(title, close);
  const status = el("p", { class: "status", role: "status", "aria-live": "polite" });
  const error = el("p", { class: "error", role: "alert", hidden: "" });

  // Pre-chat form.
  const form = el("form", { class: "prechat", novalidate: "" });
  const nameIn = el("input", { id: "cc-name", name: "name", autocomplete: "name", maxlength: String(MAX_NAME), required: "" });
  const emailIn = el("input", { id: "cc-email", name: "email", type: "email", autocomplete: "email", maxlength: String(MAX_EMAIL), required: "" });
  const questionIn = el("textarea", { id: "cc-question", name: "question", rows: "3", maxlength: String(MAX_MESSAGE), required: "" });
  const startBtn = el("button", { type: "submit", class: "primary" }, "Start chat");
  form.append(
    el("p", { class: "intro" }, "Tell us who you are and what you need; an agent will answer here."),
    field("cc-name", "Your name", nameIn),
    field("cc-email", "E-mail address", emailIn),
    field("cc-question", "Your question", questionIn),
    startBtn,
  );

  // Conversation.
  const convo = el("div", { class: "convo", hidden: "" });
  const log = el("ol", { class: "log", "aria-label": "Messages", "aria-live": "polite", tabindex: "0" });
  const typing = el("p", { class: "typing", hidden: "" }, "");
  const composer = el("form", { class: "composer" });
  const textIn = el("textarea", { id: "cc-text", rows: "2", maxlength: String(MAX_MESSAGE), "aria-label": "Your message" });
  const sendBtn = el("button", { type: "submit", class: "primary" }, "Send");
  composer.append(textIn, sendBtn);
  const tools = el("div", { class: "tools" });
  const transcriptBtn = el("button", { type: "button", class: "link" }, "E-mail me the transcript");
  const endBtn = el("button", { type: "button", class: "link danger" }, "End chat");
  tools.append(transcriptBtn, endBtn);
  convo.append(log, typing, composer, tools);

  // Satisfaction survey.
  const rating = el("form", { class: "rating", hidden: "" });
  const scale = el("fieldset", { class: "scale" });
  scale.append(el("legend", {}, "How did we do? (1 = very unhappy, 5 = very happy)"));
  for (let n = 1; n <= 5; n += 1) {
    const id = `cc-score-${n}`;
    const lab = el("label", { for: id, class: "score" });
    lab.append(el("input", { type: "radio", name: "score", id, value: String(n) }), el("span", {}, String(n)));
    scale.append(lab);
  }
  const commentIn = el("textarea", { id: "cc-comment", rows: "2", maxlength: String(MAX_COMMENT) });
  rating.append(scale, field("cc-comment", "Anything to add? (optional)", commentIn), el("button", { type: "submit", class: "primary" }, "Send rating"));
  const thanks = el("p", { class: "thanks", hidden: "" }, "Thank you! You can close this window.");
  const again = el("button", { type: "button", class: "link", hidden: "" }, "Start a new chat");

  panel.append(head, status, error, form, convo, rating, thanks, again);
  root.append(launcher, panel);
  (document.body || document.documentElement).append(host);

  // -- talking to the server ------------------------------------------------------------------
  async function call(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (state.token) { headers["X-Chat-Token"] = state.token; }
    const resp = await fetch(`${BASE}/chat/${path}`, {
      method, headers, credentials: "omit", mode: "cors",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const err = new Error((data.error && data.error.message) || (resp.status === 429 ? "Too many requests; wait a moment." : "Something went wrong."));
      err.status = resp.status;
      err.code = data.error && data.error.code;
      throw err;
    }
    return data;
  }

  function showError(message) { error.textContent = message || ""; error.hidden = !message; }

  // -- the conversation -------------------------------------------------------------------------
  const shown = new Set();  // client ids already on screen (our own messages)
  function bubble(m, pending) {
    const li = el("li", { class: `${m.author}${pending ? " pending" : ""}` });
    if (m.seq) { li.dataset.seq = String(m.seq); }
    if (m.client_id) { li.dataset.client = m.client_id; }
    if (m.author !== "system") { li.append(el("span", { class: "who" }, m.author === "visitor" ? "You" : m.name)); }
    li.append(el("span", { class: "body" }, m.body));
    if (pending) { li.append(el("span", { class: "note" }, "not sent yet")); }
    return li;
  }
  function addMessages(messages) {
    messages.forEach((m) => {
      if (m.seq <= state.lastSeq) { return; }
      state.lastSeq = m.seq;
      const mine = m.client_id && shown.has(m.client_id) ? log.querySelector(`li[data-client="${CSS.escape(m.client_id)}"]`) : null;
      if (mine) {
        mine.replaceWith(bubble(m, false));
      } else {
        log.append(bubble(m, false));
        if (m.client_id) { shown.add(m.client_id); }
      }
    });
    save();
    log.scrollTop = log.scrollHeight;
  }

  let ended = false;
  function showState(data) {
    if (data.status === "waiting") {
      status.textContent = data.position ? `You are number ${data.position} in line. An agent will be with you shortly.` : "An agent will be with you shortly.";
    } else if (data.status === "active") {
      status.textContent = data.agent ? `You are chatting with ${data.agent}.` : "An agent joined the chat.";
    } else if (data.status === "ended") {
      status.textContent = "The chat has ended.";
    }
    typing.textContent = data.agent_typing ? `${data.agent || "The agent"} is typing…` : "";
    typing.hidden = !data.agent_typing;
    if (data.status === "ended" && !ended) {
      ended = true;
      composer.hidden = true;
      endBtn.hidden = true;
      if (data.rated) { thanks.hidden = false; again.hidden = false; } else { rating.hidden = false; }
    }
  }

  let offline = false;
  function setOffline(now) {
    if (now === offline) { return; }
    offline = now;
    panel.classList.toggle("offline", now);
    if (now) { status.textContent = "Connection lost: reconnecting… (what you type is sent when it is back)"; }
  }

  let polling = null;
  async function poll() {
    clearTimeout(polling);
    if (!state.token) { return; }
    try {
      const data = await call("GET", `poll?after=${encodeURIComponent(state.lastSeq)}`);
      setOffline(false);
      addMessages(data.messages);
      showState(data);
      await flush();
    } catch (err) {
      if (err.status === 403 || err.code === "chat_token_invalid") { reset(); return; }
      if (err.status === undefined) { setOffline(true); }
    }
    if (state.token && !ended) { polling = setTimeout(poll, offline ? POLL_MS * 2 : POLL_MS); }
  }

  let flushing = false;
  async function flush() {
    if (flushing || !state.outbox.length) { return; }
    flushing = true;
    try {
      while (state.outbox.length) {
        const next = state.outbox[0];
        const done = await call("POST", "messages", { body: next.body, client_id: next.client_id });
        state.outbox.shift();
        save();
        addMessages([done.message]);
      }
    } catch (err) {
      if (err.status !== undefined && err.status !== 429) {
        // Refused for good (too long, chat ended): say so and drop it rather than retry forever.
        const refused = state.outbox.shift();
        save();
        const li = refused && log.querySelector(`li[data-client="${CSS.escape(refused.client_id)}"]`);
        if (li) { li.classList.add("refused"); li.querySelector(".note").textContent = "not sent"; }
        showError(err.message);
      } else if (err.status === undefined) {
        setOffline(true);
      }
    }
    flushing = false;
  }

  function openConversation() {
    form.hidden = true;
    convo.hidden = false;
    title.textContent = state.name ? `Chat · ${state.name}` : "Chat with us";
  }

  function reset() {
    clearTimeout(polling);
    state = { outbox: [], lastSeq: 0 };
    save();
    ended = false;
    shown.clear();
    log.replaceChildren();
    form.hidden = false; convo.hidden = true; rating.hidden = true; thanks.hidden = true; again.hidden = true;
    composer.hidden = false; endBtn.hidden = false;
    status.textContent = "";
    showError("");
  }

  // -- events -----------------------------------------------------------------------------------
  function toggle(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.textContent = open ? "Close chat" : "Chat with us";
    if (open) { (form.hidden ? textIn : nameIn).focus(); }
  }
  launcher.addEventListener("click", () => toggle(panel.hidden));
  close.addEventListener("click", () => { toggle(false); launcher.focus(); });
  panel.addEventListener("keydown", (event) => { if (event.key === "Escape") { toggle(false); launcher.focus(); } });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    const name = nameIn.value.trim(), email = emailIn.value.trim(), question = questionIn.value.trim();
    if (!name || !email || !question) { showError("Please fill in your name, e-mail address and question."); return; }
    if (!emailIn.checkValidity()) { showError("Please check your e-mail address."); return; }
    if (name.length > MAX_NAME || question.length > MAX_MESSAGE) { showError("That is too long for the chat."); return; }
    startBtn.disabled = true;
    try {
      const data = await call("POST", "start", { name, email, question, queue: QUEUE });
      state.token = data.token;
      state.name = data.name;
      state.lastSeq = 0;
      save();
      openConversation();
      addMessages(data.messages);
      showState(data);
      polling = setTimeout(poll, POLL_MS);
      textIn.focus();
    } catch (err) {
      showError(err.status === undefined ? "You seem to be offline; try again in a moment." : err.message);
    }
    startBtn.disabled = false;
  });

  function send() {
    const body = textIn.value.trim();
    if (!body) { return; }
    if (body.length > MAX_MESSAGE) { showError(`A message can be at most ${MAX_MESSAGE} characters.`); return; }
    showError("");
    const item = { client_id: clientId(), body };
    state.outbox.push(item);
    save();
    shown.add(item.client_id);
    log.append(bubble({ author: "visitor", body, client_id: item.client_id }, true));
    log.scrollTop = log.scrollHeight;
    textIn.value = "";
    typingSent = 0;
    flush();
  }
  composer.addEventListener("submit", (event) => { event.preventDefault(); send(); });
  textIn.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); send(); }
  });
  let typingSent = 0;
  let typingStop = null;
  textIn.addEventListener("input", () => {
    if (!state.token || offline) { return; }
    clearTimeout(typingStop);
    if (Date.now() - typingSent > 3000) {
      typingSent = Date.now();
      call("POST", "typing", { typing: true }).catch(() => {});
    }
    typingStop = setTimeout(() => { typingSent = 0; call("POST", "typing", { typing: false }).catch(() => {}); }, 3000);
  });

  endBtn.addEventListener("click", async () => {
    try { showState(await call("POST", "end", {})); } catch (err) { showError(err.message); }
  });
  transcriptBtn.addEventListener("click", async () => {
    showError("");
    try {
      const done = await call("POST", "transcript", {});
      status.textContent = `The transcript is on its way to ${done.to}.`;
    } catch (err) { showError(err.message); }
  });
  rating.addEventListener("submit", async (event) => {
    event.preventDefault();
    const picked = rating.querySelector('input[name="score"]:checked');
    if (!picked) { showError("Please pick a number from 1 to 5."); return; }
    try {
      await call("POST", "rating", { score: Number(picked.value), comment: commentIn.value });
      showError("");
      rating.hidden = true;
      thanks.hidden = false;
      again.hidden = false;
    } catch (err) { showError(err.message); }
  });
  again.addEventListener("click", () => { reset(); nameIn.focus(); });
  window.addEventListener("online", () => { poll(); });

  // A reload in the middle of a chat picks it up again, outbox included.
  if (state.token) {
    openConversation();
    state.outbox.forEach((m) => { shown.add(m.client_id); });
    const after = state.lastSeq;
    state.lastSeq = 0;  // redraw the whole conversation on this new page
    poll().then(() => {
      state.outbox.forEach((m) => {
        if (!log.querySelector(`li[data-client="${CSS.escape(m.client_id)}"]`)) {
          log.append(bubble({ author: "visitor", body: m.body, client_id: m.client_id }, true));
        }
      });
      if (state.lastSeq < after) { state.lastSeq = after; save(); }
    });
    toggle(true);
  }
})();
