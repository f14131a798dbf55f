// Charts of the supervisor board and the wallboard, drawn as SVG in the page (the figures arrive
// live over the socket): calls per 15 minutes over the last hours with the service level of each
// interval against the queue's target, and today's service level against the target.
// Every chart has axes, a legend and a <title> on each bar and point (a tooltip, read by screen
// readers). Text is only ever set with textContent.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const INTERVAL = 900;
  const HOURS = 8;
  const SLOTS = HOURS * 4;

  function svg(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, String(v)));
    if (text !== undefined) { e.textContent = String(text); }
    return e;
  }
  function tip(node, text) { node.append(svg("title", {}, text)); return node; }
  function pct(v) { return v === null || v === undefined ? "–" : `${Math.round(v * 100)} %`; }
  function niceMax(v) {
    if (v <= 4) { return 4; }
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const s of [1, 2, 2.5, 5, 10]) { if (v <= s * p) { return s * p; } }
    return 10 * p;
  }
  function hhmm(ts) {
    const d = new Date(ts * 1000);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  }

  // The last HOURS hours of one queue, 15 minutes a bar. `now` is the server's time (seconds).
  function intervals(q, now, opts) {
    const big = opts && opts.big;
    const w = 420, h = big ? 200 : 180, left = 34, right = 40, top = 26, bottom = 24;
    const pw = w - left - right, ph = h - top - bottom;
    const t = q.today || {};
    const dayStart = t.day_start || (now - (now % 86400));
    const current = Math.floor((now - dayStart) / INTERVAL);
    const first = current - SLOTS + 1;
    const bySlot = new Map((t.intervals || []).map((p) => [p.slot, p]));
    const shown = [];
    for (let s = first; s <= current; s += 1) { shown.push({ slot: s, p: bySlot.get(s) }); }
    const maxOffered = niceMax(Math.max(0, ...shown.map((x) => (x.p ? x.p.offered : 0))));
    const box = svg("svg", { viewBox: `0 0 ${w} ${h}`, class: "chart", role: "img", "aria-label": `${q.name}: calls and service level per 15 minutes, last ${HOURS} hours` });
    box.append(svg("title", {}, `${q.name}: calls offered, abandoned and service level per 15 minutes over the last ${HOURS} hours; target ${pct(q.sl_target)}`));
    const y = (v) => top + ph - (v / maxOffered) * ph;
    const ySl = (v) => top + ph - v * ph;
    const slotW = pw / SLOTS;
    // grid and left axis (calls)
    for (let i = 0; i <= 4; i += 1) {
      const v = (maxOffered * i) / 4;
      box.append(svg("line", { x1: left, x2: left + pw, y1: y(v).toFixed(1), y2: y(v).toFixed(1), class: "gridline" }));
      box.append(svg("text", { x: left - 4, y: (y(v) + 3).toFixed(1), "text-anchor": "end", class: "axis" }, Math.round(v)));
      box.append(svg("text", { x: left + pw + 4, y: (ySl(i / 4) + 3).toFixed(1), class: "axis" }, `${i * 25}%`));
    }
    box.append(svg("text", { x: 2, y: top - 6, class: "axis" }, "calls"));
    box.append(svg("text", { x: w - 2, y: top - 6, "text-anchor": "end", class: "axis" }, "SL"));
    // bars
    shown.forEach((x, i) => {
      const bx = left + i * slotW + 1;
      const bw = Math.max(1, slotW - 2);
      const start = dayStart + x.slot * INTERVAL;
      const label = x.p ? x.p.label : hhmm(start);
      if (x.p && x.p.offered) {
        const bar = svg("rect", { x: bx.toFixed(1), y: y(x.p.offered).toFixed(1), width: bw.toFixed(1), height: (top + ph - y(x.p.offered)).toFixed(1), class: "bar" });
        tip(bar, `${label}: ${x.p.offered} offered, ${x.p.answered} answered, ${x.p.abandoned} abandoned, service level ${pct(x.p.service_level)}`);
        box.append(bar);
        if (x.p.abandoned) {
          const ab = svg("rect", { x: bx.toFixed(1), y: y(x.p.abandoned).toFixed(1), width: bw.toFixed(1), height: (top + ph - y(x.p.abandoned)).toFixed(1), class: "bar abandoned" });
          tip(ab, `${label}: ${x.p.abandoned} abandoned`);
          box.append(ab);
        }
      }
      if (x.slot % 8 === 0) {
        box.append(svg("line", { x1: bx - 1, x2: bx - 1, y1: top + ph, y2: top + ph + 4, class: "tick" }));
        box.append(svg("text", { x: (bx - 1).toFixed(1), y: h - 8, "text-anchor": "middle", class: "axis" }, hhmm(start)));
      }
    });
    box.append(svg("line", { x1: left, x2: left + pw, y1: top + ph, y2: top + ph, class: "baseline" }));
    // target and service-level line
    const ty = ySl(q.sl_target);
    box.append(tip(svg("line", { x1: left, x2: left + pw, y1: ty.toFixed(1), y2: ty.toFixed(1), class: "target" }), `Target ${pct(q.sl_target)} in ${q.sl_threshold_s} s`));
    const pts = shown.filter((x) => x.p && x.p.service_level !== null && x.p.service_level !== undefined);
    if (pts.length > 1) {
      const line = pts.map((x) => `${(left + (x.slot - first + 0.5) * slotW).toFixed(1)},${ySl(x.p.service_level).toFixed(1)}`);
      box.append(svg("polyline", { points: line.join(" "), class: "sl" }));
    }
    pts.forEach((x) => {
      const dot = svg("circle", { cx: (left + (x.slot - first + 0.5) * slotW).toFixed(1), cy: ySl(x.p.service_level).toFixed(1), r: 2.5, class: "sl-point" });
      box.append(tip(dot, `${x.p.label}: service level ${pct(x.p.service_level)}`));
    });
    // legend
    const legend = [["bar", "Offered"], ["bar abandoned", "Abandoned"], ["sl", "Service level"], ["target", `Target ${pct(q.sl_target)}`]];
    let lx = left;
    legend.forEach(([cls, name]) => {
      if (cls.startsWith("bar")) {
        box.append(svg("rect", { x: lx, y: 6, width: 10, height: 10, class: cls }));
      } else {
        box.append(svg("line", { x1: lx, x2: lx + 12, y1: 11, y2: 11, class: cls }));
      }
      box.append(svg("text", { x: lx + 15, y: 15, class: "legend" }, name));
      lx += 22 + name.length * 6.2;
    });
    return box;
  }

  // Today's service level against the target: a bar, the target marked, the figures written out.
  function gauge(q) {
    const t = q.today || {};
    const wrap = document.createElement("div");
    wrap.className = "sl-gauge";
    const met = t.service_level === null || t.service_level === undefined ? null : t.service_level >= q.sl_target;
    wrap.dataset.met = met === null ? "none" : String(met);
    const label = document.createElement("p");
    label.className = "sl-label";
    label.textContent = t.service_level === null || t.service_level === undefined
      ? `Service level today: no calls yet (target ${pct(q.sl_target)} in ${q.sl_threshold_s} s)`
      : `Service level today ${pct(t.service_level)} · target ${pct(q.sl_target)} in ${q.sl_threshold_s} s · ${met ? "met" : "under target"}`;
    const w = 300, h = 16;
    const box = svg("svg", { viewBox: `0 0 ${w} ${h}`, class: "gauge", role: "img", "aria-label": label.textContent, preserveAspectRatio: "none" });
    box.append(svg("rect", { x: 0, y: 2, width: w, height: h - 4, class: "track" }));
    if (met !== null) { box.append(svg("rect", { x: 0, y: 2, width: (w * t.service_level).toFixed(1), height: h - 4, class: met ? "fill met" : "fill under" })); }
    box.append(svg("line", { x1: (w * q.sl_target).toFixed(1), x2: (w * q.sl_target).toFixed(1), y1: 0, y2: h, class: "target-mark" }));
    wrap.append(label, box);
    return wrap;
  }

  window.BoardCharts = { intervals, gauge, HOURS };
})();
