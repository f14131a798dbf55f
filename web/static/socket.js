// A small Socket.IO client (Engine.IO v4 over WebSocket, Socket.IO protocol v5, default namespace):
// what the desktop and the board need — events from the server, emits with acknowledgements,
// heartbeats, and reconnection with back-off. The page's session cookie authenticates the socket.
// `options.namespace` joins another namespace than the default one.
// Exposes `io(options)` returning an object with `on(name, fn)`, `emit(name, data, ack)`,
// `connected` and `disconnect()`; "connect" and "disconnect" fire like the reference client's.
(function () {
  "use strict";

  function io(options) {
    const opts = Object.assign({ path: "/socket.io/", reconnectionDelay: 500, reconnectionDelayMax: 5000 }, options || {});
    const handlers = {};
    const acks = {};
    let ws = null;
    let nextAck = 0;
    let attempts = 0;
    let closedByUser = false;
    let pingTimer = null;
    let reconnectTimer = null;
    const socket = { connected: false, id: null };
    // A namespace other than the default one ("/tickets"): its packets carry "/tickets," first.
    const nsp = opts.namespace && opts.namespace !== "/" ? opts.namespace + "," : "";

    function fire(name, args) {
      (handlers[name] || []).slice().forEach((fn) => {
        try { fn.apply(socket, args); } catch (err) { setTimeout(() => { throw err; }); }
      });
    }

    function url() {
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      return `${scheme}//${window.location.host}${opts.path}?EIO=4&transport=websocket`;
    }

    function watchdog(timeoutMs) {
      clearTimeout(pingTimer);
      // No ping from the server within interval + timeout: the link is dead (e.g. after sleep).
      pingTimer = setTimeout(() => { if (ws) { ws.close(); } }, timeoutMs);
    }

    function scheduleReconnect() {
      if (closedByUser) { return; }
      const delay = Math.min(opts.reconnectionDelayMax, opts.reconnectionDelay * Math.pow(2, attempts));
      attempts += 1;
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(open, delay * (0.5 + Math.random()));
    }

    function onPacket(data) {
      const type = data.charAt(0);
      let rest = data.slice(1);
      if (nsp) { if (rest.indexOf(nsp) !== 0) { return; } rest = rest.slice(nsp.length); }
      if (type === "0") { // socket.io CONNECT acknowledged
        attempts = 0;
        socket.connected = true;
        try { socket.id = JSON.parse(rest || "{}").sid || null; } catch (err) { socket.id = null; }
        fire("connect", []);
      } else if (type === "4") { // CONNECT_ERROR: refused (e.g. no session)
        let message = "refused";
        try { message = JSON.parse(rest).message || message; } catch (err) { /* keep default */ }
        fire("connect_error", [new Error(message)]);
      } else if (type === "2" || type === "3") { // EVENT or ACK, with an optional numeric id
        const match = /^(\d*)(\[.*)$/s.exec(rest);
        if (!match) { return; }
        let payload;
        try { payload = JSON.parse(match[2]); } catch (err) { return; }
        if (type === "2") {
          const id = match[1];
          const args = payload.slice(1);
          if (id !== "") {
            args.push(function () { send("43" + nsp + id + JSON.stringify(Array.prototype.slice.call(arguments))); });
          }
          fire(String(payload[0]), args);
        } else {
          const fn = acks[match[1]];
          delete acks[match[1]];
          if (fn) { fn.apply(socket, payload); }
        }
      } else if (type === "1") { // DISCONNECT from the server
        if (ws) { ws.close(); }
      }
    }

    function send(text) {
      if (ws && ws.readyState === WebSocket.OPEN) { ws.send(text); return true; }
      return false;
    }

    function open() {
      if (closedByUser) { return; }
      const current = new WebSocket(url());
      ws = current;
      let timeoutMs = 45000;
      current.onmessage = (event) => {
        if (current !== ws || typeof event.data !== "string") { return; }
        const data = event.data;
        const kind = data.charAt(0);
        if (kind === "0") { // engine.io OPEN: handshake, then join the default namespace
          try {
            const hello = JSON.parse(data.slice(1));
            timeoutMs = (hello.pingInterval || 25000) + (hello.pingTimeout || 20000);
          } catch (err) { /* defaults */ }
          watchdog(timeoutMs);
          send("40" + nsp);
        } else if (kind === "2") { // ping → pong
          watchdog(timeoutMs);
          send("3");
        } else if (kind === "4") {
          onPacket(data.slice(1));
        } else if (kind === "1") {
          current.close();
        }
      };
      current.onclose = () => {
        if (current !== ws) { return; }
        clearTimeout(pingTimer);
        ws = null;
        const was = socket.connected;
        socket.connected = false;
        Object.keys(acks).forEach((id) => delete acks[id]);
        if (was) { fire("disconnect", ["transport close"]); }
        scheduleReconnect();
      };
      current.onerror = () => { /* onclose follows and reconnects */ };
    }

    socket.on = function (name, fn) { (handlers[name] = handlers[name] || []).push(fn); return socket; };
    socket.off = function (name, fn) {
      handlers[name] = (handlers[name] || []).filter((h) => h !== fn);
      return socket;
    };
    socket.emit = function (name) {
      const args = Array.prototype.slice.call(arguments);
      let id = "";
      if (typeof args[args.length - 1] === "function") {
        id = String(nextAck++);
        acks[id] = args.pop();
      }
      return send("42" + nsp + id + JSON.stringify(args));
    };
    socket.disconnect = function () {
      closedByUser = true;
      clearTimeout(reconnectTimer);
      if (ws) { send("41" + nsp); ws.close(); }
      return socket;
    };
    // A laptop waking up: reconnect at once instead of waiting out the back-off.
    window.addEventListener("online", () => { if (!ws && !closedByUser) { attempts = 0; open(); } });
    open();
    return socket;
  }

  window.io = io;
})();
