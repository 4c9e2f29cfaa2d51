(function () {
  'use strict';
  // Draws the timeline from the JSON in #timeline-data. Text from the
  // history only ever reaches the page through textContent or the canvas,
  // never through innerHTML.
  var t0 = (window.performance && performance.now) ? performance.now() : 0;
  var root = document.documentElement;
  var D = JSON.parse(document.getElementById('timeline-data').textContent);
  var n = D.lane.length;
  // Starts arrive as differences from the previous op's start.
  for (var si = 1; si < n; si++) D.start[si] += D.start[si - 1];
  var nLanes = D.lanes.length;
  var nNodes = D.nodes.length;
  var canvas = document.getElementById('tl');
  var ctx = canvas.getContext('2d');
  var tip = document.getElementById('tip');
  var rangeLabel = document.getElementById('tl-range');
  // Left: lane and node labels. Top: the fault strip, then one row per node,
  // then one lane per client.
  var LABEL_W = 118, STRIP_H = 30, NODE_H = 15, AXIS_H = 24;
  var NODES_TOP = STRIP_H, LANES_TOP = STRIP_H + (nNodes ? nNodes * NODE_H + 6 : 0);
  var laneH = Math.max(2, Math.min(18, Math.floor(12000 / Math.max(1, nLanes))));
  var view = { lo: 0, hi: D.end };
  // The key the counterexample is about (index into D.strs), and whether
  // the timeline shows only that key's ops (-1: all keys).
  var hasCx = D.cx_op !== null && D.cx_op !== undefined;
  var cxKey = hasCx ? D.key[D.cx_op] : -1;
  var keyFilter = -1;
  var drag = null;
  var width = 0;
  var lastTicks = [];

  // Ops of each lane, by invocation; a process runs one op at a time, so
  // in a lane both starts and ends are in order and a binary search finds
  // the op under the pointer.
  var byLane = [];
  for (var l = 0; l < nLanes; l++) byLane.push([]);
  for (var i = 0; i < n; i++) byLane[D.lane[i]].push(i);
  for (l = 0; l < nLanes; l++) byLane[l].sort(function (a, b) { return D.start[a] - D.start[b]; });
  var inPrefix = new Uint8Array(n);
  for (i = 0; i < D.cx_prefix.length; i++) inPrefix[D.cx_prefix[i]] = 1;
  var related = {};
  for (i = 0; i < D.cx_related.length; i++) related[D.cx_related[i][0]] = D.cx_related[i][1];

  function opEnd(i) { return D.dur[i] < 0 ? D.end : D.start[i] + D.dur[i]; }
  function X(t) { return LABEL_W + (width - LABEL_W - 8) * (t - view.lo) / Math.max(1, view.hi - view.lo); }
  function T(x) { return view.lo + (x - LABEL_W) * Math.max(1, view.hi - view.lo) / Math.max(1, width - LABEL_W - 8); }
  function trim(s, min) {
    // Drops trailing zeros, keeping at least `min` decimals.
    var dot = s.indexOf('.');
    if (dot < 0) return s;
    while (s.length > dot + 1 + min && s.charAt(s.length - 1) === '0') s = s.slice(0, -1);
    if (s.charAt(s.length - 1) === '.') s = s.slice(0, -1);
    return s;
  }
  // A time for people: `5.402 s`, `230 ms`, `event 12`.
  function fmt(t) {
    if (D.axis !== 'ns') return 'event ' + Math.round(t);
    var a = Math.abs(t);
    if (a < 0.5) return '0 s';
    if (a >= 1e9) return trim((t / 1e9).toFixed(6), 3) + ' s';
    if (a >= 1e6) return trim((t / 1e6).toFixed(3), 0) + ' ms';
    if (a >= 1e3) return trim((t / 1e3).toFixed(1), 0) + ' µs';
    return Math.round(t) + ' ns';
  }
  // Round tick steps: 1, 2 or 5 times a power of ten.
  function niceStep(raw) {
    if (!(raw > 0)) return 1;
    var mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var ms = [1, 2, 5, 10];
    for (var k = 0; k < ms.length; k++) if (ms[k] * mag >= raw * (1 - 1e-9)) return ms[k] * mag;
    return 10 * mag;
  }
  function tickLabel(v, step) {
    if (D.axis !== 'ns') return String(Math.round(v));
    var unit = 1, name = 'ns';
    if (step >= 1e8) { unit = 1e9; name = 's'; } else if (step >= 1e5) { unit = 1e6; name = 'ms'; } else if (step >= 1e2) { unit = 1e3; name = 'µs'; }
    var decimals = Math.max(0, Math.ceil(-Math.log(step / unit) / Math.LN10 - 1e-9));
    return trim((v / unit).toFixed(decimals), 0) + ' ' + name;
  }
  // Fault colours by order of first appearance, orange first (as in the charts).
  var FAULT_COLORS = ['#f28e2b', '#b07aa1', '#76b7b2', '#9c755f', '#e15759', '#4e79a7'];
  var faultIndex = {};
  var faultCount = 0;
  for (var fw = 0; fw < D.faults.length; fw++) {
    if (!Object.prototype.hasOwnProperty.call(faultIndex, D.faults[fw][0])) faultIndex[D.faults[fw][0]] = faultCount++;
  }
  function faultColor(name) { return FAULT_COLORS[(faultIndex[name] || 0) % FAULT_COLORS.length]; }
  function faultLabel(f) { return (f[1] ? f[1] : f[0]) + (f[4] ? ' (never healed)' : ''); }
  function pattern(base, stripe, cross) {
    var p = document.createElement('canvas');
    p.width = 8; p.height = 8;
    var c = p.getContext('2d');
    c.fillStyle = base; c.fillRect(0, 0, 8, 8);
    c.strokeStyle = stripe; c.lineWidth = 2;
    c.beginPath(); c.moveTo(-2, 10); c.lineTo(10, -2); c.stroke();
    if (cross) { c.beginPath(); c.moveTo(-2, -2); c.lineTo(10, 10); c.stroke(); }
    return ctx.createPattern(p, 'repeat');
  }
  var STYLE = ['#43a047', pattern('#e53935', '#8e0000', true), pattern('#bdbdbd', '#616161', false)];

  function fitText(text, px) {
    // Cuts `text` to fit `px` pixels at the current font.
    if (ctx.measureText(text).width <= px) return text;
    var lo = 0, hi = text.length;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(text.slice(0, mid) + '…').width <= px) lo = mid; else hi = mid - 1;
    }
    return lo > 0 ? text.slice(0, lo) + '…' : '';
  }

  function draw() {
    width = Math.max(400, canvas.parentNode.clientWidth - 2);
    var bottom = LANES_TOP + nLanes * laneH;
    var height = bottom + AXIS_H;
    var dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.height = height + 'px';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    // labels: faults, nodes, lanes
    ctx.fillStyle = '#5f6368';
    ctx.fillText('faults', 4, 15);
    for (var nr = 0; nr < nNodes; nr++) {
      if (nr % 2) { ctx.fillStyle = '#f3f4f6'; ctx.fillRect(LABEL_W, NODES_TOP + nr * NODE_H, width - LABEL_W, NODE_H); }
      ctx.fillStyle = '#3c4043'; ctx.font = 'bold 11px system-ui, sans-serif';
      ctx.fillText('node ' + D.nodes[nr], 4, NODES_TOP + nr * NODE_H + NODE_H / 2);
      ctx.font = '11px system-ui, sans-serif';
    }
    if (nNodes) {
      ctx.strokeStyle = '#dadce0';
      ctx.beginPath(); ctx.moveTo(0, LANES_TOP - 3.5); ctx.lineTo(width, LANES_TOP - 3.5); ctx.stroke();
    }
    for (var l = 0; l < nLanes; l++) {
      if (l % 2) { ctx.fillStyle = '#f8f9fa'; ctx.fillRect(LABEL_W, LANES_TOP + l * laneH, width - LABEL_W, laneH); }
      if (laneH >= 9) { ctx.fillStyle = '#5f6368'; ctx.fillText(fitText(D.lanes[l], LABEL_W - 8), 4, LANES_TOP + l * laneH + laneH / 2); }
    }
    if (laneH < 9) { ctx.fillStyle = '#5f6368'; ctx.fillText(nLanes + ' clients', 4, LANES_TOP + 8); }
    ctx.save();
    ctx.beginPath(); ctx.rect(LABEL_W, 0, width - LABEL_W, height); ctx.clip();
    // fault windows: shaded across the lanes, labelled in words on the strip,
    // and a bar in the row of each node they hit
    for (var w = 0; w < D.faults.length; w++) {
      var f = D.faults[w];
      if (f[3] < view.lo || f[2] > view.hi) continue;
      var x0 = X(f[2]), x1 = Math.max(X(f[3]), x0 + 2);
      ctx.globalAlpha = 0.16; ctx.fillStyle = faultColor(f[0]);
      ctx.fillRect(x0, LANES_TOP, x1 - x0, bottom - LANES_TOP);
      ctx.globalAlpha = 0.55;
      ctx.fillRect(x0, 4 + (w % 2) * 12, x1 - x0, 10);
      for (var fn = 0; fn < f[5].length; fn++) {
        var row = f[5][fn];
        if (row >= nNodes) continue;
        ctx.globalAlpha = 0.75; ctx.fillStyle = faultColor(f[0]);
        ctx.fillRect(x0, NODES_TOP + row * NODE_H + 2, x1 - x0, NODE_H - 4);
        ctx.globalAlpha = 1; ctx.fillStyle = '#1d1d1f';
        if (x1 - x0 > 24) ctx.fillText(fitText(f[6], x1 - x0 - 4), Math.max(x0, LABEL_W) + 2, NODES_TOP + row * NODE_H + NODE_H / 2);
      }
      ctx.globalAlpha = 1; ctx.fillStyle = '#1d1d1f';
      if (x1 - x0 > 30) ctx.fillText(fitText(faultLabel(f), x1 - Math.max(x0, LABEL_W) - 4), Math.max(x0, LABEL_W) + 2, 9 + (w % 2) * 12);
    }
    ctx.globalAlpha = 1;
    for (var m = 0; m < D.marks.length; m++) {
      var mk = D.marks[m];
      if (mk[2] < view.lo || mk[2] > view.hi) continue;
      var mx = X(mk[2]);
      ctx.strokeStyle = '#8d6e63'; ctx.setLineDash([3, 3]);
      ctx.beginPath(); ctx.moveTo(mx, LANES_TOP); ctx.lineTo(mx, bottom); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#8d6e63';
      for (var mn = 0; mn < mk[3].length; mn++) {
        if (mk[3][mn] < nNodes) ctx.fillRect(mx - 2, NODES_TOP + mk[3][mn] * NODE_H + 2, 4, NODE_H - 4);
      }
    }
    // ops
    var pad = laneH >= 6 ? 1 : 0;
    for (var pass = 0; pass < 2; pass++) {
      // With a key filter on, other keys' ops are drawn faintly first.
      if (pass === 0 && keyFilter < 0) continue;
      ctx.globalAlpha = pass === 0 ? 0.12 : 1;
      for (var k = 0; k < 3; k++) {
        ctx.fillStyle = STYLE[k];
        for (var i = 0; i < n; i++) {
          if (D.kind[i] !== k) continue;
          if (keyFilter >= 0 && (D.key[i] === keyFilter) !== (pass === 1)) continue;
          var s = D.start[i], e = opEnd(i);
          if (e < view.lo || s > view.hi) continue;
          var a = X(s), b = X(e);
          ctx.fillRect(a, LANES_TOP + D.lane[i] * laneH + pad, Math.max(1, b - a), laneH - 2 * pad);
        }
      }
    }
    ctx.globalAlpha = 1;
    // Fault edges over the ops, so windows stay visible in a dense history.
    ctx.lineWidth = 1.5;
    for (var fe = 0; fe < D.faults.length; fe++) {
      var ff = D.faults[fe];
      if (ff[3] < view.lo || ff[2] > view.hi) continue;
      ctx.strokeStyle = faultColor(ff[0]);
      ctx.beginPath();
      ctx.moveTo(X(ff[2]), LANES_TOP); ctx.lineTo(X(ff[2]), bottom);
      if (!ff[4]) { ctx.moveTo(X(ff[3]), LANES_TOP); ctx.lineTo(X(ff[3]), bottom); }
      ctx.stroke();
    }
    ctx.lineWidth = 1;
    if (laneH >= 8 && D.cx_prefix.length) {
      ctx.fillStyle = '#1b5e20';
      for (var p = 0; p < D.cx_prefix.length; p++) {
        var j = D.cx_prefix[p];
        if (opEnd(j) < view.lo || D.start[j] > view.hi) continue;
        var pa = X(D.start[j]);
        ctx.fillRect(pa, LANES_TOP + D.lane[j] * laneH + 1, Math.max(1, X(opEnd(j)) - pa), 2);
      }
    }
    // The ops that explain the counterexample: dashed blue outlines.
    ctx.strokeStyle = '#1a73e8'; ctx.lineWidth = 2; ctx.setLineDash([4, 2]);
    for (var r = 0; r < D.cx_related.length; r++) {
      var ri = D.cx_related[r][0];
      if (opEnd(ri) < view.lo || D.start[ri] > view.hi) continue;
      var ra = X(D.start[ri]), rb = Math.max(X(opEnd(ri)), ra + 2);
      ctx.strokeRect(ra - 2, LANES_TOP + D.lane[ri] * laneH - 1, rb - ra + 4, laneH + 2);
    }
    ctx.setLineDash([]); ctx.lineWidth = 1;
    if (hasCx) {
      var c = D.cx_op, ca = X(D.start[c]), cb = Math.max(X(opEnd(c)), ca + 2), cy = LANES_TOP + D.lane[c] * laneH;
      ctx.strokeStyle = '#d50000'; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(ca, LANES_TOP); ctx.lineTo(ca, bottom); ctx.stroke();
      ctx.setLineDash([]); ctx.lineWidth = 3;
      ctx.strokeRect(ca - 2, cy - 1, cb - ca + 4, laneH + 2);
      ctx.lineWidth = 1;
      ctx.font = 'bold 11px system-ui, sans-serif';
      var cxText = '\u2717 not linearizable' + (D.node.length && D.node[c] >= 0 ? ' (served by ' + D.strs[D.node[c]] + ')' : '');
      var cw = ctx.measureText(cxText).width, cxX = Math.min(cb + 6, width - cw - 8);
      // On a white label, so the ops beneath do not hide it.
      var ly = Math.max(cy + laneH / 2, LANES_TOP + 8);
      ctx.fillStyle = 'rgba(255,255,255,.92)'; ctx.fillRect(cxX - 3, ly - 8, cw + 6, 16);
      ctx.strokeStyle = '#d50000'; ctx.strokeRect(cxX - 3, ly - 8, cw + 6, 16);
      ctx.fillStyle = '#d50000';
      ctx.fillText(cxText, cxX, ly);
      ctx.font = '11px system-ui, sans-serif';
    }
    if (drag && drag.x1 !== undefined) {
      ctx.fillStyle = 'rgba(26,115,232,.15)';
      ctx.fillRect(Math.min(drag.x0, drag.x1), LANES_TOP, Math.abs(drag.x1 - drag.x0), bottom - LANES_TOP);
    }
    ctx.restore();
    // axis, with ticks at round times
    ctx.strokeStyle = '#9aa0a6'; ctx.fillStyle = '#5f6368';
    ctx.beginPath(); ctx.moveTo(LABEL_W, bottom + 0.5); ctx.lineTo(width - 8, bottom + 0.5); ctx.stroke();
    var span = Math.max(1, view.hi - view.lo);
    var step = niceStep(span / Math.max(2, Math.floor((width - LABEL_W) / 110)));
    if (D.axis !== 'ns') step = Math.max(1, Math.round(step));
    lastTicks = [];
    for (var tt = Math.ceil(view.lo / step) * step; tt <= view.hi + 1e-6; tt += step) {
      var tx = X(tt), label = tickLabel(tt, step);
      ctx.beginPath(); ctx.moveTo(tx, bottom); ctx.lineTo(tx, bottom + 4); ctx.stroke();
      var tw = ctx.measureText(label).width;
      ctx.textAlign = 'left';
      ctx.fillText(label, Math.min(Math.max(tx - tw / 2, LABEL_W), width - 8 - tw), bottom + 14);
      lastTicks.push(label);
    }
    ctx.textAlign = 'left';
    rangeLabel.textContent = 'showing ' + fmt(view.lo) + ' – ' + fmt(view.hi) + ' · ' + n + ' ops · ' + nLanes + ' clients';
    root.setAttribute('data-ticks', lastTicks.join('|'));
  }

  function opAt(x, y) {
    var l = Math.floor((y - LANES_TOP) / laneH);
    if (y < LANES_TOP || l < 0 || l >= nLanes || x < LABEL_W) return -1;
    var t = T(x), tol = 3 * (view.hi - view.lo) / Math.max(1, width - LABEL_W);
    var ops = byLane[l], lo = 0, hi = ops.length - 1, best = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (D.start[ops[mid]] <= t + tol) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (best < 0) return -1;
    var op = ops[best];
    return opEnd(op) >= t - tol ? op : -1;
  }

  function faultAt(x, y) {
    if (y >= LANES_TOP || x < LABEL_W) return -1;
    var t = T(x), row = y >= NODES_TOP ? Math.floor((y - NODES_TOP) / NODE_H) : -1;
    for (var w = 0; w < D.faults.length; w++) {
      var f = D.faults[w];
      if (f[2] > t || t > f[3]) continue;
      if (row < 0 || f[5].indexOf(row) >= 0) return w;
    }
    return -1;
  }

  function nodeIndex(name) {
    var m = /^n(\d+)$/.exec(name);
    return m ? Number(m[1]) : -1;
  }

  // What faults hit the node that served op i while it ran.
  function nodeFaults(i) {
    if (!D.node.length || D.node[i] < 0) return [];
    var idx = nodeIndex(D.strs[D.node[i]]), out = [];
    if (idx < 0) return out;
    for (var w = 0; w < D.faults.length; w++) {
      var f = D.faults[w];
      if (f[5].indexOf(idx) >= 0 && f[2] <= opEnd(i) && f[3] >= D.start[i]) out.push(f[6] + ' (' + faultLabel(f) + ')');
    }
    return out;
  }

  function opLine(i) {
    var kinds = ['ok', 'fail', 'info'];
    var v = D.kind[i] === 0 && D.strs[D.val[i]] !== D.strs[D.inv[i]] ? D.strs[D.val[i]] : D.strs[D.inv[i]];
    var node = D.node.length && D.node[i] >= 0 ? ' on ' + D.strs[D.node[i]] : '';
    return D.strs[D.f[i]] + ' ' + v + ' → ' + kinds[D.kind[i]] + node + ', ' + fmt(D.start[i]) + '–' + (D.dur[i] >= 0 ? fmt(opEnd(i)) : 'never completed');
  }

  function describe(i) {
    var kinds = ['ok', 'fail', 'info'];
    var lines = [
      'process ' + (D.proc.length ? D.strs[D.proc[i]] : D.lanes[D.lane[i]]) + ' · ' + D.strs[D.f[i]] + ' → ' + kinds[D.kind[i]],
    ];
    if (D.key[i] >= 0) lines.push('key: ' + D.strs[D.key[i]]);
    lines.push('invoked with: ' + D.strs[D.inv[i]]);
    if (D.kind[i] !== 2) lines.push('result: ' + D.strs[D.val[i]]);
    if (D.node.length && D.node[i] >= 0) {
      var hits = nodeFaults(i);
      lines.push('served by ' + D.strs[D.node[i]] + (hits.length ? ', which was ' + hits.join('; ') : ''));
    }
    lines.push('invoked at ' + fmt(D.start[i]));
    if (D.dur[i] >= 0) lines.push('completed at ' + fmt(D.start[i] + D.dur[i]) + ' (took ' + (D.axis === 'ns' ? fmt(D.dur[i]) : D.dur[i] + ' events') + ')');
    else lines.push('never completed');
    if (i === D.cx_op) {
      lines.push('✗ the op that cannot be linearized');
      for (var r = 0; r < D.cx_related.length; r++) {
        lines.push('  ↳ ' + D.cx_related[r][1] + ' (' + opLine(D.cx_related[r][0]) + ')');
      }
    } else if (Object.prototype.hasOwnProperty.call(related, i)) {
      lines.push('explains the counterexample: ' + related[i]);
    } else if (inPrefix[i]) lines.push('in the longest linearizable prefix');
    return lines.join('\n');
  }

  function showTip(text, ev) {
    tip.textContent = text;
    tip.hidden = false;
    // Fixed to the viewport, so the timeline's scroll box never clips it.
    var x = ev.clientX + 14, y = ev.clientY + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 4) x = Math.max(4, ev.clientX - w - 14);
    if (y + h > window.innerHeight - 4) y = Math.max(4, ev.clientY - h - 14);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }

  function pos(ev) {
    var r = canvas.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  }

  canvas.addEventListener('mousemove', function (ev) {
    var p = pos(ev);
    if (drag) { drag.x1 = p.x; draw(); return; }
    var i = opAt(p.x, p.y);
    if (i >= 0) { showTip(describe(i), ev); return; }
    var w = faultAt(p.x, p.y);
    if (w >= 0) {
      var f = D.faults[w];
      var who = f[5].length ? '\n' + f[5].map(function (x) { return 'n' + x; }).join(', ') + ': ' + f[6] : '';
      showTip('fault: ' + f[0] + (f[1] ? '\n' + f[1] : '') + who + '\nfrom ' + fmt(f[2]) + ' to ' + (f[4] ? 'the end (never healed)' : fmt(f[3])), ev);
      return;
    }
    tip.hidden = true;
  });
  canvas.addEventListener('mouseleave', function () { tip.hidden = true; });
  canvas.addEventListener('mousedown', function (ev) { drag = { x0: pos(ev).x }; });
  window.addEventListener('mouseup', function () {
    if (!drag) return;
    var d = drag; drag = null;
    if (d.x1 !== undefined && Math.abs(d.x1 - d.x0) > 4) {
      var a = T(Math.min(d.x0, d.x1)), b = T(Math.max(d.x0, d.x1));
      zoomTo(a, b);
    } else draw();
  });
  canvas.addEventListener('dblclick', function () { zoomTo(0, D.end); });

  function zoomTo(lo, hi) {
    lo = Math.max(0, lo); hi = Math.min(D.end, hi);
    if (hi - lo < 2) { var mid = (lo + hi) / 2; lo = mid - 1; hi = mid + 1; }
    view.lo = lo; view.hi = hi;
    draw();
  }
  // Zooms to the op that cannot be linearized and the ops that explain it
  // (the write its state came from, the write of the value it returned),
  // with a margin on both sides.
  function showCounterexample(noScroll) {
    if (!hasCx) return;
    var c = D.cx_op, lo = D.start[c], hi = opEnd(c);
    for (var r = 0; r < D.cx_related.length; r++) {
      var j = D.cx_related[r][0];
      lo = Math.min(lo, D.start[j]); hi = Math.max(hi, opEnd(j));
    }
    var margin = Math.max((hi - lo) * 0.15, D.end / 400, 2);
    zoomTo(lo - margin, hi + margin);
    if (noScroll !== true) document.getElementById('timeline').scrollIntoView();
  }
  document.getElementById('zoom-out').addEventListener('click', function () {
    var mid = (view.lo + view.hi) / 2, half = (view.hi - view.lo);
    zoomTo(mid - half, mid + half);
  });
  document.getElementById('zoom-reset').addEventListener('click', function () { zoomTo(0, D.end); });
  var cxButtons = document.querySelectorAll('.show-cx');
  for (var b = 0; b < cxButtons.length; b++) cxButtons[b].addEventListener('click', function () { showCounterexample(); });
  var keyBox = document.getElementById('only-cx-key');
  if (keyBox) {
    if (cxKey >= 0) {
      keyBox.parentNode.hidden = false;
      document.getElementById('cx-key-name').textContent = D.strs[cxKey];
      keyBox.addEventListener('change', function () { keyFilter = keyBox.checked ? cxKey : -1; draw(); });
    }
  }
  window.addEventListener('resize', draw);

  draw();

  // What a headless test reads back from the DOM.
  root.setAttribute('data-ops-drawn', String(n));
  root.setAttribute('data-fault-windows', String(D.faults.length));
  root.setAttribute('data-fault-labels', D.faults.map(faultLabel).join('|'));
  root.setAttribute('data-page-height', String(Math.ceil(document.documentElement.scrollHeight)));
  var cx = document.getElementById('counterexample');
  if (cx) {
    var r = cx.getBoundingClientRect(), st = window.getComputedStyle(cx);
    var visible = r.width > 0 && r.height > 0 && st.display !== 'none' && st.visibility !== 'hidden' && Number(st.opacity) > 0;
    root.setAttribute('data-cx-visible', visible ? 'yes' : 'no');
  }
  // `report.html?selftest`: drive the page as a person would (hover the
  // counterexample, or the first op; press "Show counterexample") and record
  // what happened, for the headless browser tests.
  if (/[?&]selftest\b/.test(window.location.search)) {
    var hoverOnly = /[?&]selftest=hover\b/.test(window.location.search);
    var zoomFirst = /[?&]selftest=zoom\b/.test(window.location.search);
    var button = hoverOnly ? null : document.querySelector('.show-cx');
    // `?selftest=zoom` zooms first (as the button does, without scrolling:
    // a headless screenshot of a scrolled page is blank) and leaves the
    // tooltip up over the zoomed view, for a screenshot.
    if (zoomFirst && button) showCounterexample(true);
    var target = hasCx ? D.cx_op : (n ? 0 : -1);
    if (target >= 0) {
      var cr = canvas.getBoundingClientRect();
      var tx0 = Math.max(X(D.start[target]), LABEL_W), tx1 = Math.min(X(opEnd(target)), width - 8);
      canvas.dispatchEvent(new MouseEvent('mousemove', {
        clientX: cr.left + (tx0 + tx1) / 2,
        clientY: cr.top + LANES_TOP + D.lane[target] * laneH + laneH / 2,
        bubbles: true
      }));
      root.setAttribute('data-selftest-tip', tip.hidden ? '' : tip.textContent);
    }
    if (button && !zoomFirst) {
      button.click();
    }
    if (button) {
      root.setAttribute('data-selftest-view', Math.round(view.lo) + '..' + Math.round(view.hi));
      root.setAttribute('data-selftest-ticks', lastTicks.join('|'));
      var inView = [];
      for (var q = 0; q < D.cx_related.length; q++) {
        var qi = D.cx_related[q][0];
        if (D.start[qi] >= view.lo && opEnd(qi) <= view.hi) inView.push(qi);
      }
      root.setAttribute('data-selftest-related', inView.length + '/' + D.cx_related.length);
    }
    if (!hoverOnly && !zoomFirst && keyBox && !keyBox.parentNode.hidden) {
      keyBox.click();
      root.setAttribute('data-selftest-key', keyFilter >= 0 ? D.strs[keyFilter] : '');
    }
  }
  if (t0 || t0 === 0) root.setAttribute('data-render-ms', String(Math.round(performance.now() - t0)));
  root.setAttribute('data-rendered', 'ok');
})();
