// The HTML report's matrices (html.ts embeds this file): decodes the data matrix.ts made, draws
// one canvas per protocol/family (a pixel per cell, scaled: 250,000 cells draw in milliseconds),
// and explains the cell under the pointer or the selected one. Plain browser JavaScript, no
// library, no request.
(function () {
  "use strict";
  var started = performance.now();
  var data = JSON.parse(document.getElementById("netdoctor-data").textContent);
  var STATUS = ["", "Succeeded", "Failed", "Error"];
  var COLORS = { Failed: [207, 34, 46], Error: [212, 167, 44], none: [196, 201, 208], self: [242, 243, 245], ok: [64, 196, 99], fast: [155, 233, 168], slow: [22, 98, 45] };
  var FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  var BAND = 18;
  var crossCluster = data.clusters.length > 1;

  function decode(b64, Type) {
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Type(bytes.buffer);
  }
  function nodeName(k) {
    return crossCluster ? data.clusters[data.nodeClusters[k]] + "/" + data.nodes[k] : data.nodes[k];
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  function mix(a, b, t) {
    return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
  }
  function css(c) {
    return "rgb(" + Math.round(c[0]) + "," + Math.round(c[1]) + "," + Math.round(c[2]) + ")";
  }

  var panels = data.panels.map(function (p) {
    var cells = decode(p.cells, Uint8Array);
    var rtt = decode(p.rtt, Uint16Array);
    var timed = [];
    for (var i = 0; i < rtt.length; i++) if (rtt[i] !== data.noRtt && cells[i] >> 5 === 1) timed.push(rtt[i]);
    timed = Uint16Array.from(timed).sort();
    // The RTT shade spans the 2nd to the 98th percentile: one outlier must not flatten the rest.
    var lo = timed.length ? Math.max(1, timed[Math.floor(timed.length * 0.02)]) : 1;
    var hi = timed.length ? Math.max(lo + 1, timed[Math.floor((timed.length - 1) * 0.98)]) : 2;
    var counts = { Succeeded: 0, Failed: 0, Error: 0 };
    for (var k = 0; k < cells.length; k++) if (cells[k]) counts[STATUS[cells[k] >> 5]]++;
    return {
      spec: p, cells: cells, rtt: rtt, reasons: p.reasons ? decode(p.reasons, Uint16Array) : null,
      rows: data.nodes.length, cols: p.targets ? p.targets.length : data.nodes.length, mesh: !p.targets,
      lo: lo, hi: hi, counts: counts, cell: 1, left: 0, top: 0, labels: false,
    };
  });

  var form = document.getElementById("filters");
  var details = document.getElementById("details");
  var container = document.getElementById("panels");
  var tip = document.createElement("div");
  tip.className = "details";
  tip.setAttribute("role", "tooltip");
  tip.style.cssText = "position:fixed;display:none;pointer-events:none;max-width:520px;box-shadow:0 2px 8px rgba(0,0,0,.18);z-index:10;background:#fff";
  document.body.appendChild(tip);
  var selected = null;

  function shown(name) {
    var out = {};
    form.querySelectorAll("input[name=" + name + "]").forEach(function (i) { out[i.value] = i.checked; });
    return out;
  }

  function colorOf(p, k, r, c, verdicts) {
    var v = p.cells[k];
    if (v === 0) return p.mesh && r === c ? COLORS.self : verdicts.none ? COLORS.none : faded(COLORS.none);
    var status = STATUS[v >> 5];
    var color;
    if (status !== "Succeeded") color = COLORS[status];
    else if (p.rtt[k] === data.noRtt) color = COLORS.ok;
    else color = mix(COLORS.fast, COLORS.slow, Math.min(1, Math.max(0, Math.log(Math.max(p.rtt[k], 1) / p.lo) / Math.log(p.hi / p.lo))));
    return verdicts[status] ? color : faded(color);
  }
  function faded(c) {
    return mix(c, [255, 255, 255], 0.85);
  }

  function layout(p, zoom, width) {
    var fit = Math.floor((width - 2 * BAND) / p.cols);
    p.cell = Math.max(1, Math.min(zoom || Math.min(fit, 44), Math.floor(16000 / Math.max(p.rows, p.cols))));
    p.labels = p.cell >= 10;
    var ctx = document.createElement("canvas").getContext("2d");
    ctx.font = FONT;
    var widest = function (names) { return names.reduce(function (w, n) { return Math.max(w, ctx.measureText(n).width); }, 0); };
    var rowNames = data.nodes.map(function (_, k) { return data.nodes[k]; });
    var band = crossCluster ? BAND : 0;
    p.left = band + (p.labels ? Math.ceil(widest(rowNames)) + 10 : 4);
    p.top = band + (p.labels ? Math.ceil(widest(p.mesh ? rowNames : p.spec.targets)) + 10 : 4);
  }

  function draw(fig) {
    var p = fig.panel;
    var canvas = fig.canvas;
    var verdicts = shown("verdict");
    var w = p.left + p.cols * p.cell + 1;
    var h = p.top + p.rows * p.cell + 1;
    var dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = w + "px";
    canvas.style.height = h + "px";
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    // One pixel per cell, then scaled up without smoothing.
    var off = document.createElement("canvas");
    off.width = p.cols;
    off.height = p.rows;
    var octx = off.getContext("2d");
    var img = octx.createImageData(p.cols, p.rows);
    var px = img.data;
    for (var r = 0, k = 0; r < p.rows; r++) {
      for (var c = 0; c < p.cols; c++, k++) {
        var color = colorOf(p, k, r, c, verdicts);
        px[4 * k] = color[0]; px[4 * k + 1] = color[1]; px[4 * k + 2] = color[2]; px[4 * k + 3] = 255;
      }
    }
    octx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, p.left, p.top, p.cols * p.cell, p.rows * p.cell);
    if (p.cell >= 6) {
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (var x = 0; x <= p.cols; x++) { ctx.moveTo(p.left + x * p.cell + 0.5, p.top); ctx.lineTo(p.left + x * p.cell + 0.5, p.top + p.rows * p.cell); }
      for (var y = 0; y <= p.rows; y++) { ctx.moveTo(p.left, p.top + y * p.cell + 0.5); ctx.lineTo(p.left + p.cols * p.cell, p.top + y * p.cell + 0.5); }
      ctx.stroke();
    }
    if (p.cell < 4) markProblems(ctx, p, verdicts);
    ctx.font = FONT;
    ctx.fillStyle = "#1f2328";
    ctx.textBaseline = "middle";
    if (p.labels) {
      ctx.textAlign = "right";
      for (var i = 0; i < p.rows; i++) ctx.fillText(data.nodes[i], p.left - 6, p.top + (i + 0.5) * p.cell);
      ctx.save();
      ctx.translate(p.left, p.top - 6);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "left";
      var names = p.mesh ? data.nodes : p.spec.targets;
      for (var j = 0; j < p.cols; j++) ctx.fillText(names[j], 0, (j + 0.5) * p.cell);
      ctx.restore();
    }
    if (crossCluster) drawClusterBlocks(ctx, p);
    if (selected && selected.fig === fig) {
      ctx.strokeStyle = "#0969da";
      ctx.lineWidth = 2;
      var s = Math.max(p.cell, 3);
      ctx.strokeRect(p.left + selected.c * p.cell - 1, p.top + selected.r * p.cell - 1, s + 2, s + 2);
    }
    canvas.dataset.cell = p.cell;
    canvas.dataset.left = p.left;
    canvas.dataset.top = p.top;
  }

  /** At a pixel or two per cell one failing pair would be invisible: failures get a larger mark. */
  function markProblems(ctx, p, verdicts) {
    var size = 5;
    for (var k = 0, marked = 0; k < p.cells.length && marked < 20000; k++) {
      var status = STATUS[p.cells[k] >> 5];
      if ((status === "Failed" || status === "Error") && verdicts[status]) {
        ctx.fillStyle = css(COLORS[status]);
        var r = Math.floor(k / p.cols);
        var c = k % p.cols;
        ctx.fillRect(p.left + (c + 0.5) * p.cell - size / 2, p.top + (r + 0.5) * p.cell - size / 2, size, size);
        marked++;
      }
    }
  }

  /** Cross-cluster: each context's block of rows (and a mesh's columns) is labelled and ruled off. */
  function drawClusterBlocks(ctx, p) {
    var blocks = [];
    data.nodeClusters.forEach(function (cl, k) {
      if (!blocks.length || blocks[blocks.length - 1].cluster !== cl) blocks.push({ cluster: cl, from: k, to: k + 1 });
      else blocks[blocks.length - 1].to = k + 1;
    });
    ctx.fillStyle = "#59636e";
    ctx.strokeStyle = "#1f2328";
    ctx.lineWidth = 2;
    ctx.textAlign = "center";
    blocks.forEach(function (b, n) {
      var name = data.clusters[b.cluster];
      var mid = (b.from + b.to) / 2 * p.cell;
      ctx.save();
      ctx.translate(BAND / 2, p.top + mid);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(name, 0, 0);
      ctx.restore();
      if (p.mesh) ctx.fillText(name, p.left + mid, BAND / 2);
      if (n > 0) {
        ctx.beginPath();
        ctx.moveTo(0, p.top + b.from * p.cell);
        ctx.lineTo(p.left + p.cols * p.cell, p.top + b.from * p.cell);
        if (p.mesh) { ctx.moveTo(p.left + b.from * p.cell, 0); ctx.lineTo(p.left + b.from * p.cell, p.top + p.rows * p.cell); }
        ctx.stroke();
      }
    });
  }

  function describe(fig, r, c) {
    var p = fig.panel;
    var k = r * p.cols + c;
    var v = p.cells[k];
    var target = p.mesh ? nodeName(c) : p.spec.targets[c];
    var src = "<b>" + esc(nodeName(r)) + "</b>" + (p.spec.sourceAddresses[r] ? " (" + esc(p.spec.sourceAddresses[r]) + ")" : "");
    var dst = "<b>" + esc(target) + "</b>" + (p.mesh && p.spec.targetAddresses[c] ? " (" + esc(p.spec.targetAddresses[c]) + ")" : "");
    var head = src + " &rarr; " + dst + " &middot; " + esc(p.spec.id) + "<br>";
    if (p.mesh && r === c) return head + "a node is not probed from itself";
    if (v === 0) return head + "not tested (a node skipped, or not part of this run)";
    var status = STATUS[v >> 5];
    var code = (v & 31) < data.codes.length ? data.codes[v & 31] : "";
    var reason = p.reasons ? data.reasons[p.reasons[k]] : "";
    var rtt = p.rtt[k] === data.noRtt ? "" : " &middot; RTT " + (p.rtt[k] * data.rttUnitMs).toFixed(2) + " ms" + (p.rtt[k] === data.noRtt - 1 ? " or more" : "");
    return head + '<span class="' + status + '">' + status + "</span>" + (code ? " (" + esc(code) + ")" : "") + (reason ? ": " + esc(reason) : "") + rtt;
  }

  function cellAt(fig, ev) {
    var p = fig.panel;
    var c = Math.floor((ev.offsetX - p.left) / p.cell);
    var r = Math.floor((ev.offsetY - p.top) / p.cell);
    return r >= 0 && c >= 0 && r < p.rows && c < p.cols ? { r: r, c: c } : null;
  }

  function select(fig, r, c) {
    var previous = selected && selected.fig;
    selected = fig ? { fig: fig, r: r, c: c } : null;
    if (previous && previous !== fig) draw(previous);
    if (fig) draw(fig);
    details.innerHTML = fig ? describe(fig, r, c) : "Point at a cell, or select it (click, then arrow keys), for its pair.";
  }

  var figures = panels.map(function (p) {
    var fig = document.createElement("figure");
    fig.className = "panel";
    fig.dataset.panel = p.spec.id;
    fig.dataset.succeeded = p.counts.Succeeded;
    fig.dataset.failed = p.counts.Failed;
    fig.dataset.errors = p.counts.Error;
    var failing = [];
    for (var k = 0; k < p.cells.length && failing.length < 100; k++) {
      if (p.cells[k] >> 5 >= 2) failing.push(nodeName(Math.floor(k / p.cols)) + ">" + (p.mesh ? nodeName(k % p.cols) : p.spec.targets[k % p.cols]));
    }
    fig.dataset.failing = failing.join(" ");
    var total = p.counts.Succeeded + p.counts.Failed + p.counts.Error;
    fig.innerHTML = "<figcaption>" + esc(p.spec.id) + '<span class="counts">' + total + " pairs, " + p.counts.Failed + " failed, " + p.counts.Error + " could not be tested</span></figcaption>";
    var scroll = document.createElement("div");
    scroll.className = "scroll";
    var canvas = document.createElement("canvas");
    canvas.tabIndex = 0;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", p.spec.id + " matrix: " + total + " pairs, " + p.counts.Failed + " failed, " + p.counts.Error + " could not be tested; rows are sources, columns targets");
    scroll.appendChild(canvas);
    fig.appendChild(scroll);
    container.appendChild(fig);
    var f = { el: fig, canvas: canvas, panel: p };
    canvas.addEventListener("mousemove", function (ev) {
      var at = cellAt(f, ev);
      if (!at) { tip.style.display = "none"; return; }
      tip.innerHTML = describe(f, at.r, at.c);
      tip.style.display = "block";
      var x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
      var y = ev.clientY + 16 + tip.offsetHeight > window.innerHeight ? ev.clientY - tip.offsetHeight - 10 : ev.clientY + 16;
      tip.style.left = x + "px";
      tip.style.top = y + "px";
    });
    canvas.addEventListener("mouseleave", function () { tip.style.display = "none"; });
    canvas.addEventListener("click", function (ev) {
      var at = cellAt(f, ev);
      if (at) select(f, at.r, at.c);
    });
    canvas.addEventListener("keydown", function (ev) {
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (ev.key === "Escape") return select(null);
      if (!moves[ev.key]) return;
      ev.preventDefault();
      var at = selected && selected.fig === f ? selected : { r: 0, c: -1 };
      select(f, Math.max(0, Math.min(p.rows - 1, at.r + moves[ev.key][0])), Math.max(0, Math.min(p.cols - 1, at.c + moves[ev.key][1])));
    });
    return f;
  });

  function render() {
    var zoom = Number(form.elements.zoom.value);
    form.elements.zoomText.value = zoom ? zoom + " px" : "fit";
    var visible = shown("panel");
    // Small meshes sit side by side; large ones take the whole width.
    var width = container.clientWidth;
    figures.forEach(function (f) {
      f.el.hidden = !visible[f.panel.spec.id];
      layout(f.panel, zoom, f.panel.rows > 40 || !f.panel.mesh ? width : Math.min(width, 600));
      draw(f);
    });
  }

  function legend() {
    var ramp = "linear-gradient(to right, " + css(COLORS.fast) + ", " + css(COLORS.slow) + ")";
    var timed = panels.filter(function (p) { return p.hi > 2 || p.lo > 1; });
    var range = timed.length ? " " + (Math.min.apply(null, timed.map(function (p) { return p.lo; })) * data.rttUnitMs).toFixed(2) + " ms " : " fast ";
    var top = timed.length ? " " + (Math.max.apply(null, timed.map(function (p) { return p.hi; })) * data.rttUnitMs).toFixed(2) + " ms" : " slow";
    document.getElementById("legend").innerHTML =
      '<span>succeeded, shaded by RTT:' + range + '<span class="ramp" style="background:' + ramp + '"></span>' + top + "</span>" +
      '<span><span class="swatch Succeeded"></span>succeeded (no RTT)</span>' +
      '<span><span class="swatch Failed"></span>failed</span><span><span class="swatch Error"></span>could not be tested</span>' +
      '<span><span class="swatch none"></span>not tested</span><span><span class="swatch self"></span>self</span>';
  }

  form.addEventListener("input", render);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  window.addEventListener("resize", function () { if (!Number(form.elements.zoom.value)) render(); });
  // A row of the failing pairs selects its cell.
  document.querySelectorAll("#failing tbody tr").forEach(function (tr) {
    tr.addEventListener("click", function () {
      var f = figures.find(function (x) { return x.panel.spec.id === tr.dataset.panel; });
      if (!f) return;
      var name = function (k) { return nodeName(k); };
      var r = data.nodes.findIndex(function (_, k) { return name(k) === tr.dataset.src; });
      var targets = f.panel.mesh ? data.nodes.map(function (_, k) { return name(k); }) : f.panel.spec.targets;
      var c = targets.findIndex(function (t) { return t === tr.dataset.dst; });
      if (r < 0 || c < 0) return;
      select(f, r, c);
      f.canvas.scrollIntoView({ block: "center", behavior: "smooth" });
      f.canvas.focus({ preventScroll: true });
    });
  });
  legend();
  render();
  document.body.dataset.renderMs = Math.round(performance.now());
  document.body.dataset.scriptMs = Math.round(performance.now() - started);
  document.body.dataset.rendered = "true";
})();
