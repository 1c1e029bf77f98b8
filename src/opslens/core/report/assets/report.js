/* opslens HTML report: the interactive process map (layout by the vendored dagre, drawn here as
 * SVG) and sortable tables. Reads its data from the JSON block with the id "opslens-data" and
 * builds every element with createElement / textContent: data never goes through innerHTML. */
(function () {
  "use strict";

  var SVGNS = "http://www.w3.org/2000/svg"; // the SVG namespace name, not a resource
  var dataEl = document.getElementById("opslens-data");
  if (!dataEl) return;
  var D = JSON.parse(dataEl.textContent);
  var L = D.labels;

  /* ---------- formatting (mirrors the Python side) ---------- */

  function fmtInt(n) {
    if (n === null || n === undefined) return "\u2013";
    var s = String(Math.round(Math.abs(n)));
    var out = s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return n < 0 ? "-" + out : out;
  }

  function fmtPct(x) {
    if (x === null || x === undefined || !isFinite(x)) return "\u2013";
    var v = x * 100;
    if (v > 0 && v < 0.05) return "<0.1%";
    return v.toFixed(1) + "%";
  }

  var STEPS = [60, 60, 24]; // s -> min -> h -> d
  function fmtDur(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "\u2013";
    var sign = seconds < 0 ? "-" : "";
    var v = Math.abs(seconds);
    var unit = 0;
    while (unit < STEPS.length && v >= STEPS[unit]) {
      v /= STEPS[unit];
      unit += 1;
    }
    if (v > 0 && v < 0.05) return sign + "<0.1 " + D.units[0];
    var text = roundText(v);
    if (unit < STEPS.length && parseFloat(text.replace(/,/g, "")) >= STEPS[unit]) {
      v /= STEPS[unit];
      unit += 1;
      text = roundText(v);
    }
    return sign + text + " " + D.units[unit];
  }

  function roundText(v) {
    if (v === 0) return "0";
    if (v < 10) return v.toFixed(1);
    return fmtInt(v);
  }

  function template(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : m;
    });
  }

  /* ---------- DOM helpers ---------- */

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function sv(tag, attrs, text) {
    var node = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /* ---------- sortable tables ---------- */

  function initSortableTables() {
    var heads = document.querySelectorAll("table.sortable th.sortable");
    Array.prototype.forEach.call(heads, function (th) {
      th.addEventListener("click", function () {
        var table = th.closest("table");
        var tbody = table.tBodies[0];
        var col = Array.prototype.indexOf.call(th.parentNode.children, th);
        var numeric = th.classList.contains("num");
        var asc = th.getAttribute("aria-sort") !== "ascending";
        if (th.getAttribute("aria-sort") === null && numeric) asc = false;
        Array.prototype.forEach.call(th.parentNode.children, function (other) {
          other.removeAttribute("aria-sort");
        });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var ca = a.cells[col];
          var cb = b.cells[col];
          var va = ca ? ca.getAttribute("data-v") : null;
          var vb = cb ? cb.getAttribute("data-v") : null;
          var r;
          if (numeric) {
            var na = va === null || va === "" ? -Infinity : parseFloat(va);
            var nb = vb === null || vb === "" ? -Infinity : parseFloat(vb);
            r = na - nb;
          } else {
            r = (ca ? ca.textContent : "").localeCompare(cb ? cb.textContent : "", D.lang);
          }
          return asc ? r : -r;
        });
        rows.forEach(function (row) {
          tbody.appendChild(row);
        });
      });
    });
  }

  /* ---------- process map ---------- */

  var section = document.getElementById("process-map");
  var canvasEl = document.getElementById("map-canvas");
  var svg = document.getElementById("map-svg");
  var tooltip = document.getElementById("map-tooltip");
  var details = document.getElementById("map-details");
  var slider = document.getElementById("path-slider");
  var readout = document.getElementById("path-readout");
  var btnFreq = document.getElementById("mode-frequency");
  var btnDur = document.getElementById("mode-duration");
  var btnFit = document.getElementById("map-fit");
  var btnSvg = document.getElementById("map-svg-download");
  var btnPng = document.getElementById("map-png-download");

  var acts = D.activities;
  var edges = D.edges;
  var laneSets = D.lanes || []; // swimlane columns: {name, label, values, lane, share, top}
  var laneSelect = document.getElementById("lane-select");
  var laneIdx = -1; // the swimlane column shown, -1 for none
  var mode = "frequency";
  var layout = null; // {g, width, height}
  var edgeViews = [];
  var nodeViews = {};
  var selected = null;
  var view = { k: 1, x: 0, y: 0 };
  var viewport = null;
  var lanePin = null; // the lane names, kept at the top of the canvas once the map's own scroll away

  var measureCtx = document.createElement("canvas").getContext("2d");
  var fontFamily = window.getComputedStyle(svg || document.body).fontFamily;
  var NAME_FONT = "600 13px " + fontFamily;
  var SUB_FONT = "400 12px " + fontFamily;
  var EDGE_FONT = "400 11px " + fontFamily;
  var widthCache = {};
  var LABEL_OFFSET = 8;

  function measure(text, font) {
    var key = font + "\u0000" + text;
    if (!(key in widthCache)) {
      measureCtx.font = font;
      widthCache[key] = measureCtx.measureText(text).width;
    }
    return widthCache[key];
  }

  function wrap(text, maxWidth, font, maxLines) {
    var lines = [];
    var line = "";
    Array.from(text).forEach(function (c) {
      if (line === "" && /\s/.test(c)) return;
      var candidate = line + c;
      if (line !== "" && measure(candidate, font) > maxWidth) {
        var space = line.lastIndexOf(" ");
        if (space > 0 && !/\s/.test(c)) {
          lines.push(line.slice(0, space));
          line = line.slice(space + 1) + c;
        } else {
          lines.push(line);
          line = /\s/.test(c) ? "" : c;
        }
      } else {
        line = candidate;
      }
    });
    if (line !== "") lines.push(line);
    if (lines.length === 0) lines.push("");
    if (lines.length > maxLines) {
      lines = lines.slice(0, maxLines);
      var last = Array.from(lines[maxLines - 1]);
      while (last.length > 0 && measure(last.join("") + "\u2026", font) > maxWidth) last.pop();
      lines[maxLines - 1] = last.join("") + "\u2026";
    }
    return lines;
  }

  function lerpColor(a, b, t) {
    t = Math.max(0, Math.min(1, t));
    var pa = [1, 3, 5].map(function (i) { return parseInt(a.substr(i, 2), 16); });
    var pb = [1, 3, 5].map(function (i) { return parseInt(b.substr(i, 2), 16); });
    return "rgb(" + pa.map(function (v, i) { return Math.round(v + (pb[i] - v) * t); }).join(",") + ")";
  }

  var maxInstances = 1;
  var maxShare = 0;
  var maxFreq = 1;
  var maxMean = 0;
  var startCount = {};
  var endCount = {};
  acts.forEach(function (a) {
    maxInstances = Math.max(maxInstances, a.instances || 0);
    maxShare = Math.max(maxShare, a.share || 0);
  });
  edges.forEach(function (e) {
    maxFreq = Math.max(maxFreq, e.f);
    if (e.mean !== null) maxMean = Math.max(maxMean, e.mean);
  });
  D.start.forEach(function (p) { startCount[p[0]] = p[1]; maxFreq = Math.max(maxFreq, p[1]); });
  D.end.forEach(function (p) { endCount[p[0]] = p[1]; maxFreq = Math.max(maxFreq, p[1]); });
  var sortedFreq = edges.map(function (e) { return e.f; }).sort(function (a, b) { return a - b; });

  var nodes = acts.map(function (a, i) {
    var lines = wrap(a.name, 176, NAME_FONT, 2);
    var subF = fmtInt(a.instances);
    var subD = a.per_instance === null ? "\u2013" : L.avg + " " + fmtDur(a.per_instance);
    var w = Math.max(measure(subF, SUB_FONT), measure(subD, SUB_FONT));
    lines.forEach(function (ln) { w = Math.max(w, measure(ln, NAME_FONT)); });
    return {
      id: "n" + i,
      idx: i,
      a: a,
      lines: lines,
      subF: subF,
      subD: subD,
      width: Math.max(84, Math.ceil(w) + 26),
      height: 17 * lines.length + 30,
      hot: D.bottleneck.node === i
    };
  });

  function threshold() {
    if (sortedFreq.length === 0) return 0;
    var p = Number(slider.value);
    var idx = Math.round((p / 100) * (sortedFreq.length - 1));
    return sortedFreq[Math.max(0, Math.min(sortedFreq.length - 1, idx))];
  }

  function defaultSliderValue() {
    var limit = Math.max(24, 2 * acts.length);
    if (edges.length <= limit) return 0;
    for (var p = 0; p <= 100; p++) {
      slider.value = String(p);
      var thr = threshold();
      var kept = edges.filter(function (e) { return e.f >= thr; }).length;
      if (kept <= limit) return p;
    }
    return 100;
  }

  function edgeLabelTexts(e) {
    if (e.kind === "dfg") return [fmtInt(e.f), fmtDur(e.mean)];
    return [fmtInt(e.count), ""];
  }

  /* start / end edges obey the threshold too, but the most frequent of each always stays */
  function keptEnds(list, thr) {
    var top = null;
    list.forEach(function (p) { if (top === null || p[1] > top[1]) top = p; });
    return list.filter(function (p) { return p[1] >= thr || p === top; });
  }

  function buildLayout() {
    var thr = threshold();
    var kept = edges.filter(function (e) { return e.f >= thr; });
    var starts = keptEnds(D.start, thr);
    var ends = keptEnds(D.end, thr);
    var visible = {};
    kept.forEach(function (e) { visible[e.s] = true; visible[e.t] = true; });
    starts.concat(ends).forEach(function (p) { visible[p[0]] = true; });

    var lanesOn = laneIdx >= 0 && laneIdx < laneSets.length;
    var g = new dagre.graphlib.Graph({ multigraph: false });
    g.setGraph({ rankdir: "TB", nodesep: 26, ranksep: 46, edgesep: 10, marginx: 28, marginy: 28 });
    g.setDefaultEdgeLabel(function () { return {}; });
    g.setNode("S", { width: 32, height: 32, kind: "start" });
    g.setNode("E", { width: 32, height: 32, kind: "end" });
    nodes.forEach(function (n) {
      if (visible[n.idx]) g.setNode(n.id, { width: n.width, height: n.height, kind: "act", n: n });
    });
    function addEdge(v, w, model) {
      var texts = edgeLabelTexts(model);
      var lw = Math.max(measure(texts[0], EDGE_FONT), measure(texts[1], EDGE_FONT));
      var f = model.kind === "dfg" ? model.f : model.count;
      var weight = 1 + Math.round(9 * Math.sqrt(f / maxFreq));
      var label = { width: Math.ceil(lw) + 4, height: 14, labelpos: "r", labeloffset: LABEL_OFFSET, weight: weight, model: model };
      /* with swimlanes the labels are placed after the lanes (laneLayout), not by dagre */
      if (lanesOn) { label.labelWidth = label.width; label.width = 0; label.height = 0; }
      g.setEdge(v, w, label);
    }
    starts.forEach(function (p) { addEdge("S", "n" + p[0], { kind: "start", t: p[0], count: p[1] }); });
    kept.forEach(function (e) { addEdge("n" + e.s, "n" + e.t, Object.assign({ kind: "dfg" }, e)); });
    ends.forEach(function (p) { addEdge("n" + p[0], "E", { kind: "end", s: p[0], count: p[1] }); });
    if (lanesOn) pinEnds(g);
    dagre.layout(g);
    var shownNodes = nodes.filter(function (n) { return visible[n.idx]; }).length;
    readout.textContent = template(L.paths_readout, {
      shown: fmtInt(kept.length),
      total: fmtInt(edges.length),
      min: fmtInt(thr),
      nodes: fmtInt(shownNodes)
    });
    layout = { g: g, width: g.graph().width || 100, height: g.graph().height || 100, bands: null };
    if (lanesOn) laneLayout(laneSets[laneIdx]);
  }

  /* ---------- swimlanes ----------
   * dagre gives the ranks (rows, top to bottom) and the order within them; each lane becomes a
   * vertical band: a node keeps its row and moves into its lane's band, the long paths keep the
   * places dagre reserved for them in every row they cross (in the band of their source for the
   * first half, of their target for the second), and each band is compacted on its own (a
   * monotone map of dagre's x that shrinks the columns where the lane has nothing). Paths are
   * routed again through those places and their labels set where they hit nothing. */

  var LANE_HEADER = 44;
  var LANE_PAD = 14;
  var LANE_FONT = "600 13px " + fontFamily;

  /* with swimlanes the start marker is the first row and the end marker the last: a hidden path
   * (weight 0, so it pulls nothing and costs no crossing) from the start to every activity and
   * from every activity to the end makes dagre rank them so; their places are not kept */
  function pinEnds(g) {
    g.nodes().forEach(function (v) {
      if (v === "S" || v === "E") return;
      var hidden = { width: 0, height: 0, weight: 0, minlen: 1, model: { kind: "hidden" } };
      if (!g.hasEdge("S", v)) g.setEdge("S", v, hidden);
      if (!g.hasEdge(v, "E")) g.setEdge(v, "E", Object.assign({}, hidden));
    });
  }

  function laneOfNodes(g, set) {
    var of = {};
    g.nodes().forEach(function (id) {
      var nd = g.node(id);
      if (nd.kind === "act") of[id] = set.lane[nd.n.idx];
    });
    /* the start marker goes with its most frequent start activity, the end marker with the most
     * frequent end activity: the first and the last place of a band */
    ["S", "E"].forEach(function (id) {
      var best = null;
      var refs = id === "S" ? g.outEdges("S") : g.inEdges("E");
      (refs || []).forEach(function (ref) {
        var m = g.edge(ref).model;
        if (m.kind === "hidden") return;
        if (best === null || m.count > best.count) best = { count: m.count, other: id === "S" ? ref.w : ref.v };
      });
      of[id] = best !== null && best.other in of ? of[best.other] : (set.values.length ? 0 : -1);
      if (best !== null) g.node(id).x = g.node(best.other).x;
    });
    return of;
  }

  /* pool-adjacent-violators: the non-decreasing sequence nearest to values (weighted) */
  function isotonic(values, weights) {
    var blocks = [];
    values.forEach(function (v, i) {
      blocks.push([v, weights[i], 1]);
      while (blocks.length > 1 && blocks[blocks.length - 2][0] > blocks[blocks.length - 1][0]) {
        var b2 = blocks.pop();
        var b1 = blocks.pop();
        var w = b1[1] + b2[1];
        blocks.push([(b1[0] * b1[1] + b2[0] * b2[1]) / w, w, b1[2] + b2[2]]);
      }
    });
    var out = [];
    blocks.forEach(function (b) { for (var k = 0; k < b[2]; k++) out.push(b[0]); });
    return out;
  }

  /* a row of one lane, in its order, as near to the desired centres as the spacing allows */
  function placeRow(row, desired) {
    var offsets = [0];
    for (var i = 1; i < row.length; i++) offsets.push(offsets[i - 1] + row[i - 1].r + row[i].l);
    var fitted = isotonic(
      desired.map(function (d, k) { return d - offsets[k]; }),
      row.map(function (it) { return it.node ? 1 : 0.5; })
    );
    row.forEach(function (it, k) { it.x = fitted[k] + offsets[k]; });
  }

  /* within one lane: rows in dagre's order, packed, then each row pulled towards the items it is
   * joined to in the rows above and below (a few sweeps), so that chains run straight */
  function placeLane(list) {
    var rows = {};
    list.forEach(function (it) { (rows[it.y] = rows[it.y] || []).push(it); });
    var ys = Object.keys(rows).map(Number).sort(function (a, b) { return a - b; });
    ys.forEach(function (y) {
      var row = rows[y].sort(function (a, b) { return a.x - b.x; });
      placeRow(row, row.map(function () { return 0; }));
    });
    for (var sweep = 0; sweep < 8; sweep++) {
      var order = sweep % 2 === 0 ? ys : ys.slice().reverse();
      order.forEach(function (y) {
        var row = rows[y];
        placeRow(row, row.map(function (it) {
          if (!it.near.length) return it.x;
          var sum = 0;
          it.near.forEach(function (m) { sum += m.x; });
          return sum / it.near.length;
        }));
      });
    }
    var left = Infinity;
    var right = -Infinity;
    list.forEach(function (it) { left = Math.min(left, it.x - it.l); right = Math.max(right, it.x + it.r); });
    list.forEach(function (it) { it.x -= left; });
    return right - left;
  }

  function laneLayout(set) {
    var g = layout.g;
    var laneOf = laneOfNodes(g, set);
    var rowHalf = {};
    g.nodes().forEach(function (id) {
      var nd = g.node(id);
      rowHalf[nd.y] = Math.max(rowHalf[nd.y] || 0, nd.height / 2);
    });
    var loops = {};
    g.edges().forEach(function (ref) { if (ref.v === ref.w) loops[ref.v] = g.edge(ref); });
    var items = {};
    var itemOf = {};
    var sumX = {};
    var count = {};
    function addItem(lane, it) {
      it.near = [];
      it.lane = lane;
      (items[lane] = items[lane] || []).push(it);
      return it;
    }
    g.nodes().forEach(function (id) {
      var nd = g.node(id);
      var lane = laneOf[id];
      var right = nd.width / 2 + 13;
      if (loops[id]) right += 38 + (loops[id].labelWidth || 30);
      itemOf[id] = addItem(lane, { x: nd.x, y: nd.y, l: nd.width / 2 + 13, r: right, node: nd });
      if (nd.kind === "act") {
        sumX[lane] = (sumX[lane] || 0) + nd.x;
        count[lane] = (count[lane] || 0) + 1;
      }
    });
    var routes = [];
    g.edges().forEach(function (ref) {
      if (ref.v === ref.w || g.edge(ref).model.kind === "hidden") return;
      var e = g.edge(ref);
      var inner = (e.points || []).slice(1, -1).filter(function (p) { return p.y in rowHalf; });
      var chain = [itemOf[ref.v]];
      var passes = inner.map(function (p, j) {
        var pass = { x: p.x, y: p.y, lane: j < inner.length / 2 ? laneOf[ref.v] : laneOf[ref.w] };
        chain.push(addItem(pass.lane, { x: p.x, y: p.y, l: 6, r: 6, pass: pass }));
        return pass;
      });
      chain.push(itemOf[ref.w]);
      for (var k = 1; k < chain.length; k++) {
        if (chain[k - 1].lane === chain[k].lane) {
          chain[k - 1].near.push(chain[k]);
          chain[k].near.push(chain[k - 1]);
        }
      }
      routes.push({ ref: ref, e: e, passes: passes });
    });
    var used = Object.keys(items).map(Number).filter(function (k) { return k >= 0; });
    used.sort(function (a, b) {
      var ma = count[a] ? sumX[a] / count[a] : Infinity;
      var mb = count[b] ? sumX[b] / count[b] : Infinity;
      return ma - mb || a - b;
    });
    var bands = [];
    var x0 = 16;
    used.forEach(function (lane, i) {
      var content = placeLane(items[lane]);
      var name = set.values[lane];
      var lines = wrap(name, 220, LANE_FONT, 2);
      var textW = 0;
      lines.forEach(function (ln) { textW = Math.max(textW, measure(ln, LANE_FONT)); });
      var width = Math.max(content, Math.ceil(textW) + 16) + 2 * LANE_PAD;
      var left = x0 + LANE_PAD + (width - 2 * LANE_PAD - content) / 2;
      items[lane].forEach(function (it) {
        (it.node || it.pass).x = left + it.x;
      });
      bands.push({ lane: lane, name: name, lines: lines, x: x0, width: width, odd: i % 2 === 1 });
      x0 += width;
    });
    var dy = LANE_HEADER + 8;
    var shifted = {};
    g.nodes().forEach(function (id) { g.node(id).y += dy; });
    Object.keys(rowHalf).forEach(function (y) { shifted[Number(y) + dy] = rowHalf[y]; });
    routes.forEach(function (r) { r.passes.forEach(function (p) { p.y += dy; }); });
    rowHalf = shifted;
    routeLanes(g, routes, rowHalf);
    placeLaneLabels(g, routes);
    Object.keys(loops).forEach(function (id) {
      var nd = g.node(id);
      var e = loops[id];
      e.width = e.labelWidth || 30;
      e.x = nd.x + nd.width / 2 + 29 + e.width + 1.5 * LABEL_OFFSET;
      e.y = nd.y;
      e.points = [{ x: nd.x + nd.width / 2, y: nd.y }, { x: nd.x + nd.width / 2, y: nd.y }];
    });
    layout.width = x0 + 16;
    layout.height = (g.graph().height || 100) + dy;
    layout.bands = bands;
    layout.lanes = set;
  }

  /* a path leaves its node from the side facing where it goes and enters the other node the same
   * way; the ends on one side of a node are spread along it in the order of where they come from */
  function routeLanes(g, routes, rowHalf) {
    var ends = {};
    routes.forEach(function (r) {
      var a = g.node(r.ref.v);
      var b = g.node(r.ref.w);
      r.down = b.y > a.y;
      var first = r.passes.length ? r.passes[0].x : b.x;
      var last = r.passes.length ? r.passes[r.passes.length - 1].x : a.x;
      r.out = { id: r.ref.v, side: r.down ? 1 : -1, toward: first, x: a.x };
      r["in"] = { id: r.ref.w, side: r.down ? -1 : 1, toward: last, x: b.x };
      [r.out, r["in"]].forEach(function (end) {
        var key = end.id + (end.side > 0 ? "b" : "t");
        (ends[key] = ends[key] || []).push(end);
      });
    });
    Object.keys(ends).forEach(function (key) {
      var list = ends[key];
      var nd = g.node(list[0].id);
      list.sort(function (p, q) { return p.toward - q.toward; });
      var step = list.length > 1 ? Math.min(14, (nd.width * 0.7) / (list.length - 1)) : 0;
      list.forEach(function (end, i) { end.x = nd.x + (i - (list.length - 1) / 2) * step; });
    });
    routes.forEach(function (r) {
      var a = g.node(r.ref.v);
      var b = g.node(r.ref.w);
      var s = r.down ? 1 : -1;
      var pts = [
        { x: r.out.x, y: a.y + s * a.height / 2 },
        { x: r.out.x, y: a.y + s * (a.height / 2 + 10) }
      ];
      r.passes.forEach(function (p) {
        var h = rowHalf[p.y] || 0;
        pts.push({ x: p.x, y: p.y - s * h });
        pts.push({ x: p.x, y: p.y + s * h });
      });
      pts.push({ x: r["in"].x, y: b.y - s * (b.height / 2 + 10) });
      pts.push({ x: r["in"].x, y: b.y - s * b.height / 2 });
      r.e.points = pts;
    });
  }

  function boxesOverlap(p, q) {
    return p.x0 < q.x1 && q.x0 < p.x1 && p.y0 < q.y1 && q.y0 < p.y1;
  }

  /* each path's label beside one of its stretches between two rows, where it covers no node and
   * no other label (the heaviest paths first); else beside its first stretch */
  function placeLaneLabels(g, routes) {
    var taken = [];
    g.nodes().forEach(function (id) {
      var nd = g.node(id);
      taken.push({ x0: nd.x - nd.width / 2 - 2, x1: nd.x + nd.width / 2 + 2, y0: nd.y - nd.height / 2 - 2, y1: nd.y + nd.height / 2 + 2 });
    });
    var order = routes.slice().sort(function (p, q) {
      var fp = p.e.model.kind === "dfg" ? p.e.model.f : p.e.model.count;
      var fq = q.e.model.kind === "dfg" ? q.e.model.f : q.e.model.count;
      return fq - fp;
    });
    order.forEach(function (r) {
      var w = r.e.labelWidth || 30;
      var pts = r.e.points;
      var candidates = [];
      for (var i = 1; i + 2 < pts.length; i += 2) {
        var p = pts[i];
        var q = pts[i + 1];
        var len = Math.sqrt((q.x - p.x) * (q.x - p.x) + (q.y - p.y) * (q.y - p.y)) || 1;
        var nx = -(q.y - p.y) / len;
        var ny = (q.x - p.x) / len;
        if (nx < 0) { nx = -nx; ny = -ny; } // the normal pointing right first
        var away = (w / 2) * Math.abs(nx) + 8 * Math.abs(ny) + 4; // the label's box clears the line
        [0.5, 0.3, 0.7].forEach(function (t) {
          var mx = p.x + (q.x - p.x) * t;
          var my = p.y + (q.y - p.y) * t;
          candidates.push({ x: mx + nx * away, y: my + ny * away });
          candidates.push({ x: mx - nx * away, y: my - ny * away });
        });
      }
      var chosen = null;
      for (var k = 0; k < candidates.length && chosen === null; k++) {
        var c = candidates[k];
        var box = { x0: c.x - w / 2, x1: c.x + w / 2, y0: c.y - 8, y1: c.y + 8 };
        if (!taken.some(function (t) { return boxesOverlap(box, t); })) chosen = { c: c, box: box };
      }
      if (chosen === null) {
        var c0 = candidates[0] || { x: pts[0].x + 5 + w / 2, y: pts[0].y };
        chosen = { c: c0, box: { x0: c0.x - w / 2, x1: c0.x + w / 2, y0: c0.y - 8, y1: c0.y + 8 } };
      }
      taken.push(chosen.box);
      r.e.x = chosen.c.x;
      r.e.y = chosen.c.y;
    });
  }

  function laneHead(parent, b) {
    parent.appendChild(sv("rect", { class: "lane-head", x: b.x, y: 0, width: b.width, height: LANE_HEADER, fill: b.odd ? "#dfe6f1" : "#e9eef6" }));
    var y0 = LANE_HEADER / 2 + 5 - (b.lines.length - 1) * 8;
    var text = sv("text", { class: "lane-name", x: b.x + b.width / 2, y: y0, "text-anchor": "middle", "font-size": 13, "font-weight": 600, fill: "#1f2933" });
    b.lines.forEach(function (ln, j) {
      text.appendChild(sv("tspan", { x: b.x + b.width / 2, y: y0 + 16 * j }, ln));
    });
    text.appendChild(sv("title", null, b.name));
    parent.appendChild(text);
  }

  /* the lane names again, outside the viewport: shown at the top of the canvas while the map
   * is scrolled down past its own header row, following the map sideways and in scale */
  function drawLanePin() {
    lanePin = null;
    if (!layout.bands) return;
    lanePin = sv("g", { class: "lane-pin", "aria-hidden": "true", display: "none" });
    layout.bands.forEach(function (b) { laneHead(lanePin, b); });
    var last = layout.bands[layout.bands.length - 1];
    lanePin.appendChild(sv("line", { x1: layout.bands[0].x, y1: LANE_HEADER, x2: last.x + last.width, y2: LANE_HEADER, stroke: "#cfd8e3", "stroke-width": 1 }));
    svg.appendChild(lanePin);
  }

  function drawBands(parent) {
    if (!layout.bands) return;
    var layer = sv("g", { class: "lanes" });
    parent.appendChild(layer);
    layout.bands.forEach(function (b) {
      var grp = sv("g", { class: "lane" + (b.odd ? " odd" : ""), "data-lane": b.name });
      grp.appendChild(sv("rect", { class: "lane-band", x: b.x, y: 0, width: b.width, height: layout.height, fill: b.odd ? "#eef2f8" : "#f7f9fc" }));
      laneHead(grp, b);
      if (b === layout.bands[0]) grp.appendChild(sv("line", { x1: b.x, y1: 0, x2: b.x, y2: layout.height, stroke: "#cfd8e3", "stroke-width": 1 }));
      grp.appendChild(sv("line", { x1: b.x + b.width, y1: 0, x2: b.x + b.width, y2: layout.height, stroke: "#cfd8e3", "stroke-width": 1 }));
      layer.appendChild(grp);
    });
  }

  /* cubic B-spline through dagre's points, clamped at both ends */
  function splinePath(pts) {
    if (pts.length < 2) return "";
    if (pts.length === 2) {
      return "M" + pts[0].x + "," + pts[0].y + "L" + pts[1].x + "," + pts[1].y;
    }
    var ext = [pts[0], pts[0]].concat(pts, [pts[pts.length - 1], pts[pts.length - 1]]);
    var d = "M" + pts[0].x.toFixed(1) + "," + pts[0].y.toFixed(1);
    for (var i = 0; i + 3 < ext.length; i++) {
      var p1 = ext[i + 1];
      var p2 = ext[i + 2];
      var p3 = ext[i + 3];
      var b1x = (2 * p1.x + p2.x) / 3;
      var b1y = (2 * p1.y + p2.y) / 3;
      var b2x = (p1.x + 2 * p2.x) / 3;
      var b2y = (p1.y + 2 * p2.y) / 3;
      var b3x = (p1.x + 4 * p2.x + p3.x) / 6;
      var b3y = (p1.y + 4 * p2.y + p3.y) / 6;
      d += "C" + [b1x, b1y, b2x, b2y, b3x, b3y].map(function (v) { return v.toFixed(1); }).join(",");
    }
    return d;
  }

  function edgeStyle(m) {
    var hot = m.kind === "dfg" && D.bottleneck.edge !== null &&
      D.bottleneck.edge[0] === m.s && D.bottleneck.edge[1] === m.t;
    var r;
    var color;
    var label;
    if (m.kind !== "dfg") {
      r = mode === "frequency" ? Math.sqrt(m.count / maxFreq) : 0;
      return {
        width: 1 + 2.2 * r,
        color: "#9aa5b1",
        label: mode === "frequency" ? fmtInt(m.count) : "",
        hot: false,
        dash: "6 4"
      };
    }
    if (mode === "frequency") {
      r = Math.sqrt(m.f / maxFreq);
      color = lerpColor("#b9c6da", "#1f3b6b", r);
      label = fmtInt(m.f);
    } else {
      r = maxMean > 0 && m.mean !== null ? Math.sqrt(m.mean / maxMean) : 0;
      color = lerpColor("#d8cfc7", "#c2410c", r);
      label = fmtDur(m.mean);
    }
    return { width: 1.2 + 6.8 * r, color: hot ? "#d62828" : color, label: label, hot: hot, dash: "" };
  }

  function nodeStyle(n) {
    var r;
    var fill;
    if (mode === "frequency") {
      r = Math.sqrt((n.a.instances || 0) / maxInstances);
      fill = lerpColor("#eef3fb", "#2f5fb3", r);
    } else {
      r = maxShare > 0 ? Math.sqrt((n.a.share || 0) / maxShare) : 0;
      fill = lerpColor("#fff5ee", "#d9480f", r);
    }
    return { fill: fill, text: r > 0.62 ? "#ffffff" : "#1f2933", sub: mode === "frequency" ? n.subF : n.subD };
  }

  /* dagre's own self-loop points are not usable as a curve: draw a loop on the node's right side,
   * towards the slot dagre reserved there for the label (a dummy node whose centre lies
   * width/2 + offset left of the label centre and whose width is width + offset), kept short */
  function selfLoop(nd, e) {
    var xr = nd.x + nd.width / 2;
    var dy = Math.min(nd.height / 4, 10);
    var slotLeft = e.x - e.width - 1.5 * LABEL_OFFSET;
    var reach = Math.max(20, Math.min(36, (slotLeft - 2 - xr) / 0.75));
    return {
      start: { x: xr, y: nd.y - dy },
      c1: { x: xr + reach, y: nd.y - dy - 18 },
      c2: { x: xr + reach, y: nd.y + dy + 18 },
      end: { x: xr, y: nd.y + dy },
      labelX: xr + 0.75 * reach + 3
    };
  }

  function loopPath(lp, end) {
    return "M" + [lp.start.x, lp.start.y].map(function (v) { return v.toFixed(1); }).join(",") +
      "C" + [lp.c1.x, lp.c1.y, lp.c2.x, lp.c2.y, end.x, end.y].map(function (v) { return v.toFixed(1); }).join(",");
  }

  function draw() {
    clear(svg);
    edgeViews = [];
    nodeViews = {};
    viewport = sv("g", { class: "viewport" });
    svg.appendChild(viewport);
    var edgeLayer = sv("g", { class: "edges" });
    var labelLayer = sv("g", { class: "edge-labels" });
    var nodeLayer = sv("g", { class: "nodes" });
    drawBands(viewport);
    viewport.appendChild(edgeLayer);
    viewport.appendChild(labelLayer);
    viewport.appendChild(nodeLayer);
    drawLanePin();
    var g = layout.g;

    g.edges().forEach(function (ref, i) {
      var e = g.edge(ref);
      var m = e.model;
      if (m.kind === "hidden") return;
      var key = "e" + i;
      var grp = sv("g", { class: "edge", "data-key": key, "data-from": ref.v, "data-to": ref.w });
      var line = sv("path", { class: "edge-line", fill: "none" });
      var arrow = sv("path", { class: "edge-arrow" });
      var hit = sv("path", { class: "edge-hit", fill: "none", stroke: "transparent", "stroke-width": 12 });
      grp.appendChild(line);
      grp.appendChild(arrow);
      grp.appendChild(hit);
      edgeLayer.appendChild(grp);
      var label = sv("text", {
        class: "edge-label",
        x: e.x.toFixed(1),
        y: (e.y + 4).toFixed(1),
        "text-anchor": "middle",
        "data-key": key
      });
      labelLayer.appendChild(label);
      var viewObj = { key: key, model: m, points: e.points, grp: grp, line: line, arrow: arrow, hit: hit, label: label, v: ref.v, w: ref.w };
      edgeViews.push(viewObj);
      if (ref.v === ref.w) {
        viewObj.loop = selfLoop(g.node(ref.v), e);
        label.setAttribute("x", viewObj.loop.labelX.toFixed(1));
        label.setAttribute("y", (g.node(ref.v).y + 4).toFixed(1));
        label.setAttribute("text-anchor", "start");
      }
      hit.setAttribute("d", viewObj.loop ? loopPath(viewObj.loop, viewObj.loop.end) : splinePath(e.points));
    });

    g.nodes().forEach(function (id) {
      var nd = g.node(id);
      var grp = sv("g", { class: "node", "data-key": id, transform: "translate(" + nd.x.toFixed(1) + "," + nd.y.toFixed(1) + ")" });
      var v = { key: id, kind: nd.kind, grp: grp, n: nd.n || null };
      if (nd.kind === "start" || nd.kind === "end") {
        grp.setAttribute("class", "node marker " + nd.kind);
        grp.appendChild(sv("circle", { r: 15, fill: nd.kind === "start" ? "#2f9e44" : "#3e4c59", stroke: "#fff", "stroke-width": 2 }));
        if (nd.kind === "start") grp.appendChild(sv("path", { d: "M-4,-7L7,0L-4,7Z", fill: "#fff" }));
        else grp.appendChild(sv("rect", { x: -5, y: -5, width: 10, height: 10, fill: "#fff" }));
      } else {
        var n = nd.n;
        var w = n.width;
        var h = n.height;
        var rect = sv("rect", { x: -w / 2, y: -h / 2, width: w, height: h, rx: 7, ry: 7, "stroke-width": n.hot ? 3 : 1.2 });
        grp.appendChild(rect);
        v.rect = rect;
        v.texts = [];
        var y0 = -h / 2 + 19;
        n.lines.forEach(function (ln, j) {
          var t = sv("text", { class: "node-name", x: 0, y: y0 + 17 * j, "text-anchor": "middle", "font-size": 13, "font-weight": 600 }, ln);
          grp.appendChild(t);
          v.texts.push(t);
        });
        var sub = sv("text", { class: "node-sub", x: 0, y: h / 2 - 9, "text-anchor": "middle", "font-size": 12 });
        grp.appendChild(sub);
        v.sub = sub;
        if (n.hot) {
          var tagW = measure(L.bottleneck_tag, "700 10px " + fontFamily) + 12;
          var tag = sv("g", { class: "hot-tag", transform: "translate(" + (w / 2 - tagW + 6) + "," + (-h / 2 - 8) + ")" });
          tag.appendChild(sv("rect", { width: tagW, height: 15, rx: 7.5, fill: "#d62828" }));
          tag.appendChild(sv("text", { x: tagW / 2, y: 11, "text-anchor": "middle", "font-size": 10, "font-weight": 700, fill: "#fff" }, L.bottleneck_tag));
          grp.appendChild(tag);
        }
      }
      nodeLayer.appendChild(grp);
      nodeViews[id] = v;
    });
    applyMode();
    applySelection();
  }

  function applyMode() {
    section.classList.toggle("mode-frequency", mode === "frequency");
    section.classList.toggle("mode-duration", mode === "duration");
    btnFreq.setAttribute("aria-pressed", String(mode === "frequency"));
    btnDur.setAttribute("aria-pressed", String(mode === "duration"));
    edgeViews.forEach(function (ev) {
      var st = edgeStyle(ev.model);
      var pts = ev.points.slice();
      var end = ev.loop ? ev.loop.end : pts[pts.length - 1];
      var prev = ev.loop ? ev.loop.c2 : pts[pts.length - 2] || pts[0];
      var dx = end.x - prev.x;
      var dy = end.y - prev.y;
      var len = Math.sqrt(dx * dx + dy * dy) || 1;
      var ux = dx / len;
      var uy = dy / len;
      var alen = 7 + 1.3 * st.width;
      var awid = 3.5 + 0.9 * st.width;
      var back = Math.min(alen, len * 0.9);
      var cut = { x: end.x - ux * back, y: end.y - uy * back };
      pts[pts.length - 1] = cut;
      ev.line.setAttribute("d", ev.loop ? loopPath(ev.loop, cut) : splinePath(pts));
      ev.line.setAttribute("stroke", st.color);
      ev.line.setAttribute("stroke-width", st.width.toFixed(2));
      if (st.dash) ev.line.setAttribute("stroke-dasharray", st.dash);
      else ev.line.removeAttribute("stroke-dasharray");
      var bx = end.x - ux * alen;
      var by = end.y - uy * alen;
      ev.arrow.setAttribute("d", "M" + end.x.toFixed(1) + "," + end.y.toFixed(1) +
        "L" + (bx - uy * awid).toFixed(1) + "," + (by + ux * awid).toFixed(1) +
        "L" + (bx + uy * awid).toFixed(1) + "," + (by - ux * awid).toFixed(1) + "Z");
      ev.arrow.setAttribute("fill", st.color);
      ev.label.textContent = st.label;
      ev.grp.classList.toggle("hot", st.hot);
      ev.label.classList.toggle("hot", st.hot);
      ev.label.setAttribute("fill", st.hot ? "#d62828" : "#3e4c59");
      ev.label.setAttribute("font-weight", st.hot ? "700" : "400");
    });
    Object.keys(nodeViews).forEach(function (id) {
      var v = nodeViews[id];
      if (v.kind !== "act") return;
      var st = nodeStyle(v.n);
      v.rect.setAttribute("fill", st.fill);
      v.rect.setAttribute("stroke", v.n.hot ? "#d62828" : lerpColor("#9fb3d1", "#1f3b6b", 0.5));
      v.texts.forEach(function (t) { t.setAttribute("fill", st.text); });
      v.sub.setAttribute("fill", st.text);
      v.sub.textContent = st.sub;
    });
  }

  /* ---------- statistics for tooltip and details ---------- */

  function statsFor(key) {
    var rows = [];
    var title;
    var hot = false;
    if (key === "S" || key === "E") {
      title = key === "S" ? L.start : L.end;
      rows.push([L.cases, fmtInt(D.cases)]);
      return { title: title, rows: rows, hot: false };
    }
    if (key.charAt(0) === "n") {
      var n = nodeViews[key].n;
      var a = n.a;
      title = a.name;
      rows.push([L.instances, fmtInt(a.instances)]);
      rows.push([L.cases, fmtInt(a.cases)]);
      rows.push([L.rework_cases, fmtInt(a.rework)]);
      rows.push([L.mean_service, fmtDur(a.service)]);
      rows.push([L.mean_waiting, fmtDur(a.waiting)]);
      rows.push([L.share, fmtPct(a.share)]);
      if (startCount[n.idx]) rows.push([L.starts_cases, fmtInt(startCount[n.idx])]);
      if (endCount[n.idx]) rows.push([L.ends_cases, fmtInt(endCount[n.idx])]);
      if (laneIdx >= 0) {
        var set = laneSets[laneIdx];
        rows.push([set.label, set.values[set.lane[n.idx]] + " \u00b7 " + fmtPct(set.share[n.idx])]);
        var others = (set.top[n.idx] || []).slice(1).map(function (t) { return t[0] + " " + fmtPct(t[1]); });
        if (others.length) rows.push([L.lane_others, others.join(", ")]);
      }
      return { title: title, rows: rows, hot: n.hot };
    }
    var ev = null;
    edgeViews.forEach(function (x) { if (x.key === key) ev = x; });
    if (ev === null) return null;
    var m = ev.model;
    if (m.kind === "start") {
      return { title: L.start + " \u2192 " + acts[m.t].name, rows: [[L.cases, fmtInt(m.count)]], hot: false };
    }
    if (m.kind === "end") {
      return { title: acts[m.s].name + " \u2192 " + L.end, rows: [[L.cases, fmtInt(m.count)]], hot: false };
    }
    hot = edgeStyle(m).hot;
    rows.push([L.frequency, fmtInt(m.f)]);
    rows.push([L.mean_duration, fmtDur(m.mean)]);
    rows.push([L.median_duration, fmtDur(m.median)]);
    rows.push([L.min, fmtDur(m.min)]);
    rows.push([L.max, fmtDur(m.max)]);
    return { title: acts[m.s].name + " \u2192 " + acts[m.t].name, rows: rows, hot: hot };
  }

  function fillStats(container, stats) {
    clear(container);
    container.appendChild(el("div", { class: "tt-title" }, stats.title));
    var table = el("table");
    var tbody = el("tbody");
    stats.rows.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", null, r[0]));
      tr.appendChild(el("td", { class: "num" }, r[1]));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    container.appendChild(table);
    if (stats.hot) container.appendChild(el("div", { class: "tt-hot" }, L.heaviest_bottleneck));
  }

  function keyOf(target) {
    var node = target && target.closest ? target.closest("[data-key]") : null;
    return node ? node.getAttribute("data-key") : null;
  }

  function showTooltip(key, evt) {
    var stats = statsFor(key);
    if (!stats) return;
    fillStats(tooltip, stats);
    tooltip.hidden = false;
    moveTooltip(evt);
  }

  function moveTooltip(evt) {
    if (tooltip.hidden) return;
    var box = canvasEl.getBoundingClientRect();
    var x = evt.clientX - box.left + 14;
    var y = evt.clientY - box.top + 14;
    var tw = tooltip.offsetWidth;
    var th = tooltip.offsetHeight;
    if (x + tw > box.width - 4) x = Math.max(4, evt.clientX - box.left - tw - 14);
    if (y + th > box.height - 4) y = Math.max(4, evt.clientY - box.top - th - 14);
    tooltip.style.left = x + "px";
    tooltip.style.top = y + "px";
  }

  function select(key) {
    selected = key;
    if (key === null) {
      clear(details);
      details.appendChild(el("p", { class: "hint" }, L.details_hint));
    } else {
      var stats = statsFor(key);
      if (stats) fillStats(details, stats);
    }
    applySelection();
    tellEmbedder(key);
  }

  /* a page that shows this report in a frame (the workbench) can list the cases behind a
   * selected activity or path: it is told what was selected, same origin only */
  function tellEmbedder(key) {
    if (window.parent === window || !window.location.origin || window.location.origin === "null") return;
    var message = { source: "opslens-map", activity: null, from: null, to: null };
    if (key !== null && key.charAt(0) === "n") {
      message.activity = nodeViews[key].n.a.name;
    } else if (key !== null) {
      edgeViews.forEach(function (ev) {
        if (ev.key === key && ev.model.kind === "dfg") {
          message.from = acts[ev.model.s].name;
          message.to = acts[ev.model.t].name;
        }
      });
    }
    window.parent.postMessage(message, window.location.origin);
  }

  /* … and what the map shows: the minimum path frequency and the swimlane column, whenever either
   * changes (and once when the map is first drawn) */
  var toldView = null;
  function tellView() {
    var view = { source: "opslens-map", kind: "view", min: threshold(), lanes: laneIdx >= 0 ? laneSets[laneIdx].name : null };
    if (toldView !== null && toldView.min === view.min && toldView.lanes === view.lanes) return;
    toldView = view;
    if (window.parent === window || !window.location.origin || window.location.origin === "null") return;
    window.parent.postMessage(view, window.location.origin);
  }

  /* the whole map as drawn (mode, slider, selection), without the pan and zoom */
  function exportSvg() {
    var clone = svg.cloneNode(true);
    var vp = clone.querySelector(".viewport");
    if (vp) vp.removeAttribute("transform");
    var pin = clone.querySelector(".lane-pin");
    if (pin) pin.remove(); // the map's own header row is in the picture
    var w = Math.ceil(layout.width);
    var h = Math.ceil(layout.height);
    clone.setAttribute("xmlns", SVGNS);
    clone.setAttribute("width", String(w));
    clone.setAttribute("height", String(h));
    clone.setAttribute("viewBox", "0 0 " + w + " " + h);
    clone.removeAttribute("class");
    var sample = svg.querySelector("text");
    var font = sample ? window.getComputedStyle(sample).fontFamily : "sans-serif";
    var style = document.createElementNS(SVGNS, "style");
    style.textContent = "text{font-family:" + font + ";}.edge-hit{display:none}.dim{opacity:.25}";
    clone.insertBefore(style, clone.firstChild);
    var bg = document.createElementNS(SVGNS, "rect");
    bg.setAttribute("width", "100%");
    bg.setAttribute("height", "100%");
    bg.setAttribute("fill", "#ffffff");
    clone.insertBefore(bg, style.nextSibling);
    return { text: new XMLSerializer().serializeToString(clone), width: w, height: h };
  }

  function save(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function download(kind) {
    if (!layout) return;
    var out = exportSvg();
    var name = (document.title || "process-map").replace(/[\\/:*?"<>|]+/g, "_") + "-" + mode;
    var svgBlob = new Blob([out.text], { type: "image/svg+xml;charset=utf-8" });
    if (kind === "svg") { save(svgBlob, name + ".svg"); return; }
    var img = new Image();
    var url = URL.createObjectURL(svgBlob);
    img.onload = function () {
      var scale = 2;
      var canvas = document.createElement("canvas");
      canvas.width = out.width * scale;
      canvas.height = out.height * scale;
      var ctx = canvas.getContext("2d");
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0);
      URL.revokeObjectURL(url);
      canvas.toBlob(function (png) { if (png) save(png, name + ".png"); }, "image/png");
    };
    img.src = url;
  }

  function applySelection() {
    var related = null;
    if (selected !== null) {
      related = {};
      related[selected] = true;
      edgeViews.forEach(function (ev) {
        if (ev.key === selected) {
          related[ev.v] = true;
          related[ev.w] = true;
        } else if (ev.v === selected || ev.w === selected) {
          related[ev.key] = true;
          related[ev.v] = true;
          related[ev.w] = true;
        }
      });
    }
    edgeViews.forEach(function (ev) {
      var dim = related !== null && !related[ev.key];
      ev.grp.classList.toggle("dim", dim);
      ev.label.classList.toggle("dim", dim);
      ev.grp.classList.toggle("sel", ev.key === selected);
    });
    Object.keys(nodeViews).forEach(function (id) {
      var v = nodeViews[id];
      v.grp.classList.toggle("dim", related !== null && !related[id]);
      v.grp.classList.toggle("sel", id === selected);
    });
  }

  /* ---------- pan and zoom ---------- */

  function applyView() {
    if (viewport) {
      viewport.setAttribute("transform", "translate(" + view.x.toFixed(1) + "," + view.y.toFixed(1) + ") scale(" + view.k.toFixed(4) + ")");
    }
    if (lanePin) {
      lanePin.setAttribute("transform", "translate(" + view.x.toFixed(1) + ",0) scale(" + view.k.toFixed(4) + ")");
      lanePin.setAttribute("display", view.y < 0 ? "inline" : "none");
    }
  }

  /* whole map in view (the "fit" button) */
  function fit() {
    var cw = canvasEl.clientWidth || 800;
    var ch = canvasEl.clientHeight || 600;
    var k = Math.min(1.25, cw / layout.width, ch / layout.height);
    view.k = k;
    view.x = (cw - layout.width * k) / 2;
    view.y = (ch - layout.height * k) / 2;
    applyView();
  }

  /* first view: the whole map when it is readable so, otherwise a readable scale from the top,
   * centred on the start marker */
  var READABLE = 0.72;
  function initialView() {
    var cw = canvasEl.clientWidth || 800;
    var ch = canvasEl.clientHeight || 600;
    var k = Math.min(1.25, cw / layout.width, ch / layout.height);
    if (k >= READABLE) {
      fit();
      return;
    }
    k = Math.max(READABLE, Math.min(1, cw / layout.width));
    var start = layout.g.node("S");
    view.k = k;
    view.x = layout.width * k <= cw ? (cw - layout.width * k) / 2 : cw / 2 - start.x * k;
    view.x = Math.min(0, Math.max(cw - layout.width * k, view.x));
    if (layout.width * k <= cw) view.x = (cw - layout.width * k) / 2;
    view.y = 0;
    applyView();
  }

  function zoomAt(px, py, factor) {
    var k = Math.max(0.05, Math.min(6, view.k * factor));
    var f = k / view.k;
    view.x = px - (px - view.x) * f;
    view.y = py - (py - view.y) * f;
    view.k = k;
    applyView();
  }

  var drag = null;
  function initInteraction() {
    svg.addEventListener("wheel", function (evt) {
      evt.preventDefault();
      var box = svg.getBoundingClientRect();
      var dy = evt.deltaMode === 1 ? evt.deltaY * 16 : evt.deltaY;
      zoomAt(evt.clientX - box.left, evt.clientY - box.top, Math.exp(-dy * 0.0015));
    }, { passive: false });
    svg.addEventListener("pointerdown", function (evt) {
      if (evt.button !== 0) return;
      drag = { id: evt.pointerId, x: evt.clientX, y: evt.clientY, vx: view.x, vy: view.y, moved: false, key: keyOf(evt.target) };
    });
    svg.addEventListener("pointermove", function (evt) {
      if (drag && drag.id === evt.pointerId) {
        var dx = evt.clientX - drag.x;
        var dy = evt.clientY - drag.y;
        if (!drag.moved && dx * dx + dy * dy > 16) {
          drag.moved = true;
          svg.classList.add("dragging");
          tooltip.hidden = true;
          try { svg.setPointerCapture(evt.pointerId); } catch (e) { /* ignore */ }
        }
        if (drag.moved) {
          view.x = drag.vx + dx;
          view.y = drag.vy + dy;
          applyView();
          return;
        }
      }
      moveTooltip(evt);
    });
    function endDrag(evt) {
      if (!drag || drag.id !== evt.pointerId) return;
      var wasClick = !drag.moved;
      var key = drag.key;
      drag = null;
      svg.classList.remove("dragging");
      if (wasClick && evt.type === "pointerup") select(key === selected ? null : key);
    }
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);
    svg.addEventListener("pointerover", function (evt) {
      if (drag && drag.moved) return;
      var key = keyOf(evt.target);
      if (key) showTooltip(key, evt);
    });
    svg.addEventListener("pointerout", function (evt) {
      var from = keyOf(evt.target);
      var to = keyOf(evt.relatedTarget);
      if (from !== to) tooltip.hidden = true;
    });
    svg.addEventListener("pointerleave", function () { tooltip.hidden = true; });

    btnFreq.addEventListener("click", function () { mode = "frequency"; applyMode(); if (selected) select(selected); });
    btnDur.addEventListener("click", function () { mode = "duration"; applyMode(); if (selected) select(selected); });
    btnFit.addEventListener("click", fit);
    if (btnSvg) btnSvg.addEventListener("click", function () { download("svg"); });
    if (btnPng) btnPng.addEventListener("click", function () { download("png"); });
    if (laneSelect) {
      laneSelect.addEventListener("change", function () {
        var v = laneSelect.value;
        laneIdx = v === "" ? -1 : Number(v);
        relayout();
      });
    }
    var timer = null;
    slider.addEventListener("input", function () {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(function () {
        timer = null;
        relayout();
      }, 60);
    });
    slider.addEventListener("change", function () {
      if (timer !== null) { clearTimeout(timer); timer = null; }
      relayout();
    });
  }

  function relayout() {
    var value = slider.value + "|" + laneIdx;
    if (layout && layout.slider === value) return;
    buildLayout();
    layout.slider = value;
    if (selected !== null && selected.charAt(0) === "e") selected = null; // edge keys are per layout
    draw();
    if (selected !== null && !(selected in nodeViews)) selected = null;
    initialView();
    select(selected);
    svg.setAttribute("data-edges", String(edgeViews.filter(function (ev) { return ev.model.kind === "dfg"; }).length));
    svg.setAttribute("data-lanes", laneIdx >= 0 ? laneSets[laneIdx].name : "");
    tellView();
  }

  function initMap() {
    if (!section || !svg) return;
    if (typeof dagre === "undefined" || acts.length === 0) {
      clear(details);
      details.appendChild(el("p", { class: "empty" }, L.no_data));
      return;
    }
    slider.disabled = sortedFreq.length === 0;
    slider.value = String(defaultSliderValue());
    if (laneSelect && laneSelect.value !== "") laneIdx = Number(laneSelect.value);
    initInteraction();
    relayout();
    section.setAttribute("data-ready", "1");
  }

  initSortableTables();
  initMap();
})();
