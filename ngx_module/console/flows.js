// Chat flows: the list, the editor (a JSON definition beside its drawing), publish with
// every problem shown by node, export / import, and a test send with its progress.

import { ctx } from './app.js';
import { api, apiText } from './api.js';
import { h, confirmAction, fieldError, clearFieldErrors, showApiError, formatTime, notice, downloadText } from './dom.js';
import { drawFlow, previewFromDefinition } from './graph.js';
import { field, changes, pagedTable, explain } from './widgets.js';

const TRIGGERS = ['manual', 'whatsapp', 'viber'];
const FINAL = new Set(['completed', 'failed', 'cancelled']);
const POLL_MS = 1000;
const WATCH_MS = 120000;
const REDRAW_MS = 300;
const STARTER = {
  start: 'hello',
  nodes: [
    { id: 'hello', type: 'send_whatsapp', channel_id: 'CHANNEL_ID', message: { type: 'text', text: 'Hello {{contact.name}}' }, next: 'bye' },
    { id: 'bye', type: 'end' },
  ],
};

const flowPath = (id) => 'flows/' + encodeURIComponent(id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// crypto.randomUUID needs a secure context; getRandomValues works on plain http too
const newKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Where JSON text first goes wrong, as {pos, what}, or null when it is valid. JSON.parse
 * does not always say where (V8's "Unexpected token" has no position), so scan for it.
 */
function jsonProblem(s) {
  let i = 0;
  const fail = (what) => { throw { pos: i, what }; };
  const ws = () => { while (i < s.length && ' \t\n\r'.includes(s[i])) i++; };
  const token = (re, what) => { re.lastIndex = i; if (!re.test(s)) fail(what); i = re.lastIndex; };
  const list = (close, item) => {
    i++;
    ws();
    if (s[i] === close) { i++; return; }
    for (;;) {
      item();
      ws();
      if (s[i] === close) { i++; return; }
      if (s[i] !== ',') fail(`expected ',' or '${close}'`);
      i++;
    }
  };
  const string = () => token(/"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y, 'a bad or unterminated string');
  const member = () => {
    ws();
    if (s[i] !== '"') fail('expected a "quoted" property name');
    string();
    ws();
    if (s[i] !== ':') fail("expected ':'");
    i++;
    value();
  };
  const value = () => {
    ws();
    const c = s[i];
    if (c === '{') list('}', member);
    else if (c === '[') list(']', value);
    else if (c === '"') string();
    else if (c === undefined) fail('unexpected end of text');
    else token(/true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y, `unexpected ${JSON.stringify(c)}`);
  };
  try {
    value();
    ws();
    if (i < s.length) fail('unexpected text after the end');
  } catch (e) {
    if (e && 'pos' in e) return e;
    throw e;
  }
  return null;
}

/** {value} or {error: 'line L, position P: what'}. */
function parseJson(text) {
  try {
    return { value: JSON.parse(text) };
  } catch {
    const p = jsonProblem(text) || { pos: text.length, what: 'not valid JSON' };
    const before = text.slice(0, p.pos).split('\n');
    return { error: `line ${before.length}, position ${before[before.length - 1].length + 1}: ${p.what}` };
  }
}

/** Removes the error dom.js fieldError put after this input's .field. */
function clearFieldError(input) {
  const next = input.closest('.field').nextElementSibling;
  if (next && next.classList.contains('field-error')) next.remove();
  input.removeAttribute('aria-invalid');
}

/** "Import flow file" + "Import": POST flows/import with the file's JSON, then open the new flow. */
function importForm() {
  const file = h('input', { type: 'file', accept: '.json,application/json', disabled: !ctx.canWrite });
  const box = h('section', { class: 'import' }, h('h2', null, 'Import a flow'), field('Import flow file', file));
  box.append(h('button', {
    type: 'button',
    disabled: !ctx.canWrite,
    onclick: async () => {
      clearFieldErrors(box);
      const f = file.files[0];
      if (!f) { fieldError(file, 'Choose a flow file (a .json export) first.'); return; }
      const doc = parseJson(await f.text());
      if (doc.error) { fieldError(file, `${f.name} is not valid JSON: ${doc.error}`); return; }
      try {
        const flow = await api('POST', 'flows/import', doc.value);
        ctx.navigate('#/flows/' + encodeURIComponent(flow.id));
      } catch (err) {
        showApiError(box, err);
      }
    },
  }, 'Import'));
  return box;
}

async function renderList(root) {
  const list = pagedTable('flows', ['Name', 'Trigger', 'Status', 'Updated'], (f) => h('tr', null,
    h('td', null, h('a', { href: '#/flows/' + encodeURIComponent(f.id) }, f.name)),
    h('td', null, f.trigger),
    h('td', null, h('span', { class: 'pill' + (f.status === 'published' ? ' pill-running' : '') }, f.status)),
    h('td', null, formatTime(f.updated_at))), 'No chat flows yet.');
  root.append(h('h1', null, 'Chat flows'),
    h('div', { class: 'toolbar' }, h('button', {
      type: 'button', class: 'primary', disabled: !ctx.canWrite, onclick: () => ctx.navigate('#/flows/new'),
    }, 'Create flow')),
    list.el, importForm());
  await list.reload();
}

/** The messages of a test-send instance, with their statuses. */
function progressView(inst, contact) {
  const msgs = inst.messages || [];
  return [
    h('p', null, `Test send to ${contact.phone}${contact.name ? ' (' + contact.name + ')' : ''}: `,
      h('strong', null, inst.status), inst.node ? `, at node ${inst.node}` : ''),
    msgs.length
      ? h('div', { class: 'table-wrap' }, h('table', null,
        h('thead', null, h('tr', null, ['Node', 'Channel', 'Status', 'Error'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, msgs.map((m) => h('tr', null,
          h('td', null, m.node_id), h('td', null, m.channel_id ?? ''), h('td', null, m.status), h('td', null, m.error ?? ''))))))
      : h('p', { class: 'muted' }, 'No messages yet.'),
  ];
}

/** The drawing beside the editor; update({preview, start, highlight, current}) redraws. */
function flowDrawing() {
  const el = h('div', { class: 'graph' });
  const state = { preview: null, start: undefined, highlight: new Set(), current: null };
  const update = (change) => {
    Object.assign(state, change);
    if (!state.preview?.nodes?.length) {
      el.replaceChildren(h('p', { class: 'muted' }, 'No nodes to draw.'));
      return;
    }
    const drawing = drawFlow(state.preview, { highlight: state.highlight, start: state.start });
    // the test send's current node: graph.js itself marks only publish problems
    for (const g of drawing.querySelectorAll('g.node')) if (g.dataset.node === state.current) g.classList.add('node-current');
    el.replaceChildren(drawing);
  };
  return { el, update };
}

/** The editor's inputs; a published flow's definition and trigger are read-only (the API answers 409). */
function flowFields(flow, published) {
  const ro = !ctx.canWrite;
  const inputs = {
    name: h('input', { type: 'text', value: flow?.name ?? '', readonly: ro }),
    description: h('textarea', { rows: 2, readonly: ro }),
    trigger: h('select', { value: flow?.trigger ?? 'manual', disabled: published || ro },
      TRIGGERS.map((t) => h('option', { value: t }, t))),
    definition: h('textarea', { class: 'json', rows: 22, spellcheck: 'false', wrap: 'off', readonly: published || ro }),
  };
  inputs.description.value = flow?.description ?? '';
  inputs.definition.value = JSON.stringify(flow ? flow.definition : STARTER, null, 2);
  const form = h('div', { class: 'form flow-form' },
    field('Name', inputs.name), field('Description', inputs.description), field('Trigger', inputs.trigger),
    field('Definition', inputs.definition,
      published ? h('span', { class: 'hint' }, 'A published flow\'s definition and trigger are fixed; unpublish it to change them.') : null));
  return { inputs, form };
}

/** The Definition's JSON as {value}, or null with the syntax error shown at the field. */
function readDefinition(input) {
  const def = parseJson(input.value);
  if (def.error) {
    fieldError(input, 'Definition: ' + def.error);
    return null;
  }
  clearFieldError(input);
  return def;
}

/** Redraws an unpublished flow from its JSON as it is typed, once typing pauses and it parses. */
function followDefinition(input, drawing) {
  const redraw = () => {
    const def = readDefinition(input);
    if (!def) return;
    let preview;
    try {
      preview = previewFromDefinition(def.value);
    } catch {
      return; // valid JSON, not yet a definition's shape: keep the last drawing
    }
    drawing.update({ preview, start: def.value.start });
  };
  let timer;
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(redraw, REDRAW_MS); });
  redraw();
}

/** The create / PATCH body (only what changed); null when the definition is not JSON. */
function flowBody(flow, inputs, published) {
  const data = changes([['name', inputs.name], ['description', inputs.description]], flow);
  if (published) return data;
  const def = readDefinition(inputs.definition);
  if (!def) return null;
  if (!flow || flow.trigger !== inputs.trigger.value) data.trigger = inputs.trigger.value;
  if (!flow || JSON.stringify(flow.definition) !== JSON.stringify(def.value)) data.definition = def.value;
  return data;
}

/** Publish's 422: every problem by node, and those nodes marked in the drawing. */
function showProblems(box, errors, drawing) {
  const n = errors.length;
  box.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Not published: ${n} problem${n === 1 ? '' : 's'} to fix.`),
    h('ul', null, errors.map((e) => h('li', null, e.node ? `${e.node}: ${e.message}` : e.message))));
  drawing.update({ highlight: new Set(errors.map((e) => e.node).filter(Boolean)) });
}

async function renderEditor(root, id) {
  root.append(h('h1', null, 'Chat flows'), h('p', null, h('a', { href: '#/flows' }, 'All chat flows')));
  let flow = null;
  if (id !== 'new') {
    try {
      flow = await api('GET', flowPath(id));
    } catch (err) {
      showApiError(root, err);
      return;
    }
  }
  const published = flow?.status === 'published';
  const again = () => ctx.navigate('#/flows/' + encodeURIComponent(flow.id));
  const { inputs, form } = flowFields(flow, published);
  const problems = h('div', { class: 'problems' });

  // the API's preview for a published flow, the editor's JSON otherwise
  const drawing = flowDrawing();
  if (published) {
    try {
      drawing.update({ preview: await api('GET', flowPath(flow.id) + '/preview'), start: flow.definition?.start });
    } catch (err) {
      showApiError(drawing.el, err);
    }
  } else {
    followDefinition(inputs.definition, drawing);
  }

  const showError = (err) => {
    // definition.nodes[2].next and the like belong to the Definition field
    const key = err.field ? err.field.split(/[.[]/)[0] : null;
    showApiError(form, err, key && inputs[key] ? { [err.field]: inputs[key] } : {});
  };
  /** Saves what changed; true when saved (or nothing to save). */
  const save = async () => {
    clearFieldErrors(form);
    const data = flowBody(flow, inputs, published);
    if (!data) return false;
    if (flow && !Object.keys(data).length) return true;
    try {
      if (!flow) {
        const created = await api('POST', 'flows', data);
        ctx.navigate('#/flows/' + encodeURIComponent(created.id));
      } else {
        flow = await api('PATCH', flowPath(flow.id), data, { headers: { 'If-Match': `"${flow.version}"` } });
      }
      return true;
    } catch (err) {
      showError(explain(err));
      return false;
    }
  };
  const publish = async () => {
    problems.replaceChildren();
    // publish checks the stored definition: store what the editor shows first
    if (!(await save())) return;
    try {
      await api('POST', flowPath(flow.id) + '/publish');
    } catch (err) {
      if (err.errors?.length) showProblems(problems, err.errors, drawing);
      else showError(err);
      return;
    }
    notice('Flow published.');
    again();
  };
  const act = async (question, method, path, done) => {
    if (!(await confirmAction(question))) return;
    try {
      await api(method, path);
    } catch (err) {
      showError(err);
      return;
    }
    done();
  };
  const exportFlow = async () => {
    try {
      downloadText(`${flow.name}.json`, 'application/json', await apiText(flowPath(flow.id) + '/export'));
    } catch (err) {
      showError(err);
    }
  };
  const ro = !ctx.canWrite;
  const button = (label, disabled, onclick, cls) => h('button', { type: 'button', class: cls, disabled, onclick }, label);
  const actions = h('div', { class: 'toolbar' },
    button('Save', ro, async () => { if (await save() && flow) { notice('Flow saved.'); again(); } }, 'primary'),
    button('Publish', ro || !flow || published, publish),
    button('Unpublish', ro || !published, () => act(`Unpublish "${flow.name}"? Campaigns cannot use it until it is published again.`,
      'POST', flowPath(flow.id) + '/unpublish', again)),
    button('Delete', ro || !flow || published, () => act(`Delete the chat flow "${flow.name}"?`,
      'DELETE', flowPath(flow.id), () => ctx.navigate('#/flows')), 'danger'),
    button('Export', !flow, exportFlow));

  // h() skips null children; root.append would print them, so the page goes in one <div>
  root.append(h('div', { class: 'flow-page' }, h('h2', null, flow ? flow.name : 'New chat flow'),
    flow ? h('p', { class: 'muted' }, `Status: ${flow.status}`, flow.published_at ? ` since ${formatTime(flow.published_at)}` : '',
      ` · updated ${formatTime(flow.updated_at)} · id ${flow.id}`) : null,
    actions, problems,
    h('div', { class: 'flow-editor' }, form, drawing.el),
    flow ? testSend(root, flow, published, (node) => drawing.update({ current: node })) : null,
    importForm()));
}

/** The test send: one contact by phone, optional variables, then the instance's progress. */
function testSend(root, flow, published, showNode) {
  const phone = h('input', { type: 'tel', placeholder: '+8613800000000', disabled: !ctx.canWrite || !published });
  const vars = h('textarea', { class: 'json', rows: 3, placeholder: '{"code": "X11"}', disabled: !ctx.canWrite || !published });
  const progress = h('div', { class: 'test-progress', 'aria-live': 'polite' });
  const box = h('section', { class: 'test-send' }, h('h2', null, 'Test send'),
    published ? null : h('p', { class: 'muted' }, 'Publish the flow to test it.'),
    field('Contact phone', phone), field('Variables', vars));
  let watching = 0; // a newer test send stops the older one's polling

  const watch = async (instanceId, contact) => {
    const me = ++watching;
    const until = Date.now() + WATCH_MS;
    let node;
    for (;;) {
      let inst;
      try {
        inst = await api('GET', `${flowPath(flow.id)}/instances/${encodeURIComponent(instanceId)}`);
      } catch (err) {
        showApiError(progress, err);
        return;
      }
      if (me !== watching || !root.isConnected) return;
      progress.replaceChildren(...progressView(inst, contact));
      if (inst.node !== node) showNode(node = inst.node);
      if (FINAL.has(inst.status)) return;
      if (Date.now() > until) {
        progress.append(h('p', { class: 'muted' }, 'Stopped watching after 2 minutes; the instance goes on.'));
        return;
      }
      await sleep(POLL_MS);
    }
  };
  const run = async () => {
    clearFieldErrors(box);
    let variables;
    if (vars.value.trim()) {
      const r = parseJson(vars.value);
      const isObject = r.value && typeof r.value === 'object' && !Array.isArray(r.value);
      if (!isObject) { fieldError(vars, r.error ? 'Variables: ' + r.error : 'Variables must be a JSON object, such as {"code": "X11"}.'); return; }
      variables = r.value;
    }
    const p = phone.value.trim();
    if (!p) { fieldError(phone, 'Enter the phone of a contact, such as +8613800000000.'); return; }
    try {
      const found = await api('GET', 'contacts?phone=' + encodeURIComponent(p));
      const contact = found.items[0];
      if (!contact) { fieldError(phone, `No contact has the phone ${p}.`); return; }
      const started = await api('POST', flowPath(flow.id) + '/trigger',
        variables ? { contact_id: contact.id, variables } : { contact_id: contact.id },
        { headers: { 'Idempotency-Key': newKey() } });
      progress.replaceChildren(h('p', null, `Test send to ${contact.phone}: ${started.status}`));
      watch(started.instance_id, contact);
    } catch (err) {
      showApiError(box, err, { phone, contact_id: phone, variables: vars });
    }
  };
  box.append(h('button', { type: 'button', disabled: !ctx.canWrite || !published, onclick: run }, 'Test send'), progress);
  return box;
}

export async function render(root, params) {
  if (params.id) await renderEditor(root, params.id);
  else await renderList(root);
}
