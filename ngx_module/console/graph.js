// Draws a chat flow as layered SVG: rows of fixed-size boxes from the start node down.
// Cycles (every cycle passes through a jump) are found by depth-first search; their back
// edges are left out of the layering and drawn dashed along a lane right of the drawing,
// so every other edge points downwards. Edges that skip rows pass through empty slots of
// the rows between (Sugiyama's dummy nodes), so no edge runs across a box.

import { svg } from './dom.js';

const BOX_W = 190;
const BOX_H = 62;
const GAP_X = 36;      // between neighbours in a row
const GAP_Y = 84;      // between rows: room for edge labels and back-edge channels
const SLOT_W = 20;     // the width an edge passing through a row takes in it
const MARGIN = 32;     // room above the first row for back edges into it
const LANE_STEP = 14;  // between two back edges' vertical lanes
const CHANNEL = 14;    // a back edge's horizontal run, this far from the row it leaves or enters
const SWEEPS = 4;      // barycenter ordering passes (alternately down and up)
const TEXT_CHARS = 26; // what fits in a box at 12px, before the ellipsis

// The fields of each node type that name a next node, with the preview's label, in the
// order the API's preview lists them (condition branches come first).
const TARGETS = {
  send_whatsapp: [['next', 'next']],
  send_viber: [['next', 'next']],
  wait_for_reply: [['replied', 'replied'], ['timeout', 'timeout']],
  delay: [['next', 'next']],
  condition: [['else', 'else']],
  set_variable: [['next', 'next']],
  jump: [['target', 'jump'], ['next', 'next']],
  http_request: [['next', 'next'], ['failure', 'failure']],
  forward_to_flow: [],
  end: [],
};

const LABEL_MAX = 60;

// at most max characters (code points, never half of one), then an ellipsis
function cut(text, max) {
  const chars = [...text];
  return chars.length > max ? chars.slice(0, max).join('') + '…' : text;
}

// A node's one-line description, worded as the API's preview words it.
function summary(n) {
  if (typeof n.label === 'string' && n.label) return n.label;
  const str = (v) => (typeof v === 'string' ? v : '');
  switch (n.type) {
    case 'send_whatsapp':
    case 'send_viber': {
      const m = n.message || {};
      return typeof m.text === 'string' ? m.text : `template ${str(m.template && m.template.name)}`;
    }
    case 'wait_for_reply': return `wait for a reply, at most ${Number.isInteger(n.timeout_seconds) ? n.timeout_seconds : 30} s`;
    case 'delay': return `wait ${n.seconds ?? 0} s`;
    case 'condition': {
      const k = Array.isArray(n.branches) ? n.branches.length : 0;
      return `condition, ${k} branch${k === 1 ? '' : 'es'}`;
    }
    case 'set_variable': return `set vars.${str(n.name)}`;
    case 'jump': return `jump to ${str(n.target)}, max_jumps ${n.max_jumps ?? 0}`;
    case 'http_request': return `${str(n.method)} ${str(n.url)}`;
    case 'forward_to_flow': return `forward to flow ${str(n.flow_id)}`;
    default: return 'end';
  }
}

/** {start, nodes} -> {nodes, edges} as GET flows/{id}/preview answers it. */
export function previewFromDefinition(def) {
  const list = Array.isArray(def && def.nodes) ? def.nodes.filter((n) => n && typeof n.id === 'string') : [];
  const ids = new Set(list.map((n) => n.id));
  const nodes = [];
  const edges = [];
  for (const n of list) {
    nodes.push({ id: n.id, type: String(n.type ?? ''), label: cut(summary(n), LABEL_MAX) });
    const add = (to, label) => {
      if (typeof to === 'string' && ids.has(to)) edges.push({ from: n.id, to, label });
    };
    if (n.type === 'condition' && Array.isArray(n.branches)) {
      n.branches.forEach((b, k) => add(b && b.next, `branch ${k + 1}`));
    }
    for (const [field, label] of TARGETS[n.type] || []) add(n[field], label);
  }
  return { nodes, edges };
}

// Depth-first from the start (then from whatever it does not reach): an edge to a node
// still on the stack closes a cycle.
function findBackEdges(ids, out, start) {
  const state = new Map(); // 1 on the stack, 2 done
  const back = new Set();
  const visit = (id) => {
    state.set(id, 1);
    for (const e of out.get(id)) {
      const s = state.get(e.to);
      if (s === 1) back.add(e);
      else if (!s) visit(e.to);
    }
    state.set(id, 2);
  };
  for (const id of [start, ...ids]) if (!state.has(id)) visit(id);
  return back;
}

// Longest path from the roots over the forward edges: each edge goes at least one row down.
// A root other than the start (a node nothing reaches, in a draft) is then pulled down to
// just above its first successor, instead of heading the drawing beside the start.
function assignRows(ids, forward, start) {
  const indeg = new Map(ids.map((id) => [id, 0]));
  for (const e of forward) indeg.set(e.to, indeg.get(e.to) + 1);
  const roots = ids.filter((id) => indeg.get(id) === 0);
  const row = new Map(ids.map((id) => [id, 0]));
  const succ = new Map(ids.map((id) => [id, []]));
  for (const e of forward) succ.get(e.from).push(e.to);
  const topo = [...roots];
  for (let k = 0; k < topo.length; k++) {
    const id = topo[k];
    for (const to of succ.get(id)) {
      row.set(to, Math.max(row.get(to), row.get(id) + 1));
      indeg.set(to, indeg.get(to) - 1);
      if (indeg.get(to) === 0) topo.push(to);
    }
  }
  for (const id of roots) {
    if (id !== start && succ.get(id).length) row.set(id, Math.max(0, Math.min(...succ.get(id).map((to) => row.get(to))) - 1));
  }
  return row;
}

// Rows of items (nodes and the slots of edges crossing a row), ordered to cross little.
function orderRows(ids, row, forward) {
  const rows = [];
  const item = (r, node) => {
    const it = { node, up: [], down: [] };
    (rows[r] ||= []).push(it);
    return it;
  };
  const items = new Map(ids.map((id) => [id, item(row.get(id), true)]));
  const chains = new Map(); // edge -> the items it passes, source to target
  for (const e of forward) {
    const chain = [items.get(e.from)];
    for (let r = row.get(e.from) + 1; r < row.get(e.to); r++) chain.push(item(r, false));
    chain.push(items.get(e.to));
    for (let k = 1; k < chain.length; k++) {
      chain[k - 1].down.push(chain[k]);
      chain[k].up.push(chain[k - 1]);
    }
    chains.set(e, chain);
  }
  const mean = (list, self) => (list.length ? list.reduce((s, x) => s + x.pos, 0) / list.length : self);
  rows.forEach((r) => r.forEach((it, i) => { it.pos = i; }));
  for (let s = 0; s < SWEEPS; s++) {
    const down = s % 2 === 0;
    const order = down ? rows.keys() : [...rows.keys()].reverse();
    for (const r of order) {
      const keyed = rows[r].map((it) => [mean(down ? it.up : it.down, it.pos), it]);
      keyed.sort((a, b) => a[0] - b[0]); // stable: ties keep their order
      rows[r] = keyed.map(([, it]) => it);
      rows[r].forEach((it, i) => { it.pos = i; });
    }
  }
  return { rows, items, chains };
}

// x of each item (left edge) and y of each row (top). Each item goes where the items it
// links to in the row above (then below, then above again) are, as far as keeping its
// row's order and spacing allows: a chain of nodes comes out as a straight column.
function place(rows) {
  const centre = (it) => it.x + it.w / 2;
  for (const r of rows) {
    let x = 0;
    for (const it of r) {
      it.w = it.node ? BOX_W : SLOT_W;
      it.x = x;
      x += it.w + GAP_X;
    }
  }
  const align = (r, side) => {
    const want = r.map((it) => (it[side].length
      ? it[side].reduce((s, n) => s + centre(n), 0) / it[side].length - it.w / 2 : it.x));
    // pushed right from the left, pushed left from the right; their mean keeps the spacing
    const left = [];
    const right = [];
    r.forEach((it, i) => { left[i] = i ? Math.max(want[i], left[i - 1] + r[i - 1].w + GAP_X) : want[i]; });
    for (let i = r.length - 1; i >= 0; i--) {
      right[i] = i < r.length - 1 ? Math.min(want[i], right[i + 1] - r[i].w - GAP_X) : want[i];
    }
    r.forEach((it, i) => { it.x = (left[i] + right[i]) / 2; });
  };
  for (const side of ['up', 'down', 'up']) {
    const order = side === 'up' ? rows.slice(1) : rows.slice(0, -1).reverse();
    for (const r of order) align(r, side);
  }
  const all = rows.flat();
  const minX = Math.min(...all.map((it) => it.x));
  for (const it of all) it.x += MARGIN - minX;
  rows.forEach((r, i) => r.forEach((it) => { it.y = MARGIN + i * (BOX_H + GAP_Y); }));
  return Math.max(...all.map((it) => it.x + it.w)) - MARGIN;
}

// Spreads the edges leaving (or entering) a box along its bottom (or top), in the order of
// where they go, so that they do not cross right at the box.
function ports(list, box) {
  list.sort((a, b) => a.toward - b.toward);
  list.forEach((p, i) => { p.x = box.x + (box.w * (i + 1)) / (list.length + 1); });
}

const curve = (x1, y1, x2, y2) => {
  const my = (y1 + y2) / 2;
  return `C${x1},${my} ${x2},${my} ${x2},${y2}`;
};

const arrow = (x, y) => svg('path', { class: 'arrow', d: `M${x - 4.5},${y - 8}L${x + 4.5},${y - 8}L${x},${y}Z` });

function nodeBox(n, it, cls) {
  const type = String(n.type ?? '');
  const label = String(n.label ?? '');
  return svg('g', { class: cls, 'data-node': n.id, transform: `translate(${it.x},${it.y})` },
    svg('title', null, `${n.id} (${type})${label ? ': ' + label : ''}`),
    svg('rect', { width: BOX_W, height: BOX_H, rx: 6 }),
    svg('text', { class: 'n-type', x: 10, y: 17 }, cut(type, TEXT_CHARS + 4)),
    svg('text', { class: 'n-id', x: 10, y: 34 }, cut(String(n.id), TEXT_CHARS)),
    svg('text', { class: 'n-label', x: 10, y: 51 }, cut(label, TEXT_CHARS)));
}

/**
 * preview: {nodes: [{id, type, label}], edges: [{from, to, label}]}.
 * opts.start: the start node's id (default: the first node); opts.highlight: a Set of ids
 * drawn with class node-error. Returns the <svg>, at its natural size: put it in a
 * scrolling container (class "graph").
 */
export function drawFlow(preview, opts = {}) {
  const nodes = (preview && preview.nodes) || [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ids = [...byId.keys()];
  const highlight = opts.highlight || new Set();
  if (!ids.length) return svg('svg', { class: 'flow', width: 200, height: 40, viewBox: '0 0 200 40' });
  const start = byId.has(opts.start) ? opts.start : ids[0];

  const edges = ((preview && preview.edges) || []).filter((e) => byId.has(e.from) && byId.has(e.to));
  const out = new Map(ids.map((id) => [id, []]));
  for (const e of edges) out.get(e.from).push(e);
  const back = findBackEdges(ids, out, start);
  const forward = edges.filter((e) => !back.has(e));
  const row = assignRows(ids, forward, start);
  const { rows, items, chains } = orderRows(ids, row, forward);
  const widest = place(rows);

  // ports: where each edge leaves its source's bottom and enters its target's top
  const exits = new Map(ids.map((id) => [id, []]));
  const entries = new Map(ids.map((id) => [id, []]));
  const laneBase = MARGIN + widest + 2 * GAP_X;
  const backList = [...back];
  const centre = (it) => it.x + it.w / 2;
  const route = new Map(); // edge -> {ex, en, lane, nth}; the caller's objects stay as given
  for (const e of forward) {
    const chain = chains.get(e);
    const ex = { toward: centre(chain[1]) };
    const en = { toward: centre(chain[chain.length - 2]) };
    exits.get(e.from).push(ex);
    entries.get(e.to).push(en);
    route.set(e, { ex, en });
  }
  backList.forEach((e, i) => {
    // back edges come from, and go to, the lanes at the right: their ports are rightmost
    const lane = laneBase + i * LANE_STEP;
    const ex = { toward: lane };
    const en = { toward: lane };
    exits.get(e.from).push(ex);
    entries.get(e.to).push(en);
    route.set(e, { ex, en, lane, nth: i });
  });
  for (const id of ids) {
    ports(exits.get(id), items.get(id));
    ports(entries.get(id), items.get(id));
  }

  const edgeEls = [];
  for (const e of forward) {
    const chain = chains.get(e);
    const { ex, en } = route.get(e);
    // through each crossed row's slot: straight down it, curving between rows
    const pts = [[ex.x, chain[0].y + BOX_H]];
    for (const it of chain.slice(1, -1)) pts.push([centre(it), it.y], [centre(it), it.y + BOX_H]);
    pts.push([en.x, chain[chain.length - 1].y]);
    let d = `M${pts[0][0]},${pts[0][1]}`;
    for (let k = 1; k < pts.length; k++) {
      d += k % 2 ? curve(pts[k - 1][0], pts[k - 1][1], pts[k][0], pts[k][1]) : `L${pts[k][0]},${pts[k][1]}`;
    }
    const [lx, ly] = [(pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2];
    edgeEls.push(svg('g', { class: 'edge', 'data-from': e.from, 'data-to': e.to },
      svg('path', { d }), arrow(en.x, pts[pts.length - 1][1]),
      svg('text', { x: lx, y: ly + 4, 'text-anchor': 'middle' }, e.label)));
  }
  for (const e of backList) {
    const { ex, en, lane, nth } = route.get(e);
    const from = items.get(e.from);
    const to = items.get(e.to);
    // down into the gap below the source, right to its lane, up (or down) to the gap above
    // the target, and into it; each back edge runs a little apart from the others
    const y1 = from.y + BOX_H + CHANNEL + (nth % 4) * 4;
    const y2 = to.y - CHANNEL - (nth % 4) * 4;
    const d = `M${ex.x},${from.y + BOX_H}V${y1}H${lane}V${y2}H${en.x}V${to.y}`;
    edgeEls.push(svg('g', { class: 'edge edge-back', 'data-from': e.from, 'data-to': e.to },
      svg('path', { d }), arrow(en.x, to.y),
      svg('text', { x: ex.x + 6, y: y1 - 4 }, e.label)));
  }

  const nodeEls = ids.map((id) => nodeBox(byId.get(id), items.get(id),
    ['node', id === start && 'node-start', highlight.has(id) && 'node-error'].filter(Boolean).join(' ')));
  const width = Math.ceil(backList.length ? laneBase + backList.length * LANE_STEP + MARGIN : 2 * MARGIN + widest);
  const height = 2 * MARGIN + rows.length * BOX_H + (rows.length - 1) * GAP_Y + CHANNEL + 16;
  return svg('svg', {
    class: 'flow', width, height, viewBox: `0 0 ${width} ${height}`,
    role: 'img', 'aria-label': `Flow with ${ids.length} nodes`,
  }, svg('g', { class: 'edges' }, edgeEls), svg('g', { class: 'nodes' }, nodeEls));
}
