// Marketing campaigns: the list with its filters, the create / modify dialog, and a
// campaign's detail (settings, funnels per run, message ledger). Button texts, labels and
// status names are the spec's words: other people's browser tests find elements by them.

import { api } from './api.js';
import { ctx } from './app.js';
import {
  h, clear, confirmAction, openDialog, fieldError, clearFieldErrors, showApiError,
  formatTime, toLocalInput, fromLocalInput, notice, downloadText,
} from './dom.js';
import { drawFlow } from './graph.js';
import { cursorPager, listAll } from './widgets.js';

const STATUS = { pending: 'To be executed', running: 'In progress', paused: 'Paused', completed: 'Completed' };
const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'skipped'];
const FUNNEL = ['targeted', 'sent', 'delivered', 'read', 'replied', 'failed', 'skipped'];
const UNITS = ['minute', 'hour', 'day'];
// a page of campaigns; a long one is windowed (windowRows), so 1000 stay quick
const PAGE_SIZES = [20, 100, 1000];
const LEDGER_PAGE = 50;
const RUNS_SHOWN = 12;
const BIG_PAGE = 1000;        // the API's largest page, for reading whole lists
const SELECT_PAGES_MAX = 10;  // flows and groups offered in a select: at most 10 000 of each
const NAME_MAX = 60;
const DESCRIPTION_MAX = 90;

const path = (...parts) => parts.map(encodeURIComponent).join('/');
const codePoints = (s) => [...s].length; // how the API counts lengths

const field = (id, label, input, ...extra) =>
  h('div', { class: 'field' }, h('label', { for: id }, label), input, extra);

// fields side by side, each in a column of its own so its error shows under it
const row = (...fields) => h('div', { class: 'row' }, fields.map((f) => h('div', null, f)));

const options = (items, placeholder, selected) => [
  h('option', { value: '' }, placeholder),
  items.map((it) => h('option', { value: it.id, selected: it.id === selected }, it.name)),
];

const pill = (status) => h('span', { class: 'pill pill-' + status }, STATUS[status] || status);

// a time in a narrow column: it may break between date and time, never inside either
const when = (t) => t && h('span', { class: 'when' }, formatTime(t).split(' ').map((part, i) => [i ? ' ' : '', h('span', null, part)]));

const plan = (p) => (p ? (p.every > 1 ? `every ${p.every} ${p.unit}s` : `every ${p.unit}`) : '');


async function loadLookups() {
  const [flows, groups] = await Promise.all([listAll('flows', SELECT_PAGES_MAX), listAll('groups', SELECT_PAGES_MAX)]);
  return {
    flows,
    groups,
    flowName: new Map(flows.map((f) => [f.id, f.name])),
    groupName: new Map(groups.map((g) => [g.id, g.name])),
  };
}


/** Suspend / Modify / Delete for one campaign; done(deleted) runs after a change. */
function operations(c, lookups, done) {
  const w = ctx.canWrite;
  const act = async (question, method, url, said) => {
    if (!(await confirmAction(question))) return;
    try {
      await api(method, url);
      notice(said);
      done(method === 'DELETE');
    } catch (err) {
      notice(err.message, 'error');
      done(false); // the state may have moved on (the scheduler started it, say): show it
    }
  };
  return h('div', { class: 'ops' },
    h('button', {
      type: 'button', disabled: !w || c.status !== 'running',
      onclick: () => act(`Suspend "${c.name}"? Nothing more will be sent.`, 'POST', path('campaigns', c.id, 'suspend'), 'Campaign suspended.'),
    }, 'Suspend'),
    h('button', {
      type: 'button', disabled: !w || (c.status !== 'pending' && c.status !== 'paused'),
      onclick: async () => {
        try {
          // edit what the store holds now, with its current version for If-Match
          openEditor(await api('GET', path('campaigns', c.id)), lookups, () => done(false));
        } catch (err) {
          notice(err.message, 'error');
        }
      },
    }, 'Modify'),
    h('button', {
      type: 'button', class: 'danger', disabled: !w || c.status === 'running',
      onclick: () => act(`Delete "${c.name}"? Its messages and counters go with it.`, 'DELETE', path('campaigns', c.id), 'Campaign deleted.'),
    }, 'Delete'));
}

/* ---------- the create / modify dialog ---------- */

function counter(input, max) {
  const out = h('span', { class: 'hint' });
  const update = () => {
    const n = codePoints(input.value);
    out.textContent = `${n} / ${max} characters`;
    out.classList.toggle('over', n > max);
  };
  input.addEventListener('input', update);
  update();
  return out;
}

async function showPreview(flowId, lookups) {
  const flow = lookups.flows.find((f) => f.id === flowId);
  const preview = await api('GET', path('flows', flowId, 'preview'));
  const box = h('div', { class: 'graph' }, drawFlow(preview, { start: flow && flow.definition && flow.definition.start }));
  const { dialog } = openDialog(`Preview process: ${lookups.flowName.get(flowId) || flowId}`, box, [{ label: 'Close' }]);
  dialog.classList.add('wide');
}

/** campaign: null to create one, else the campaign to modify. */
function openEditor(campaign, lookups, saved) {
  const c = campaign || {};
  const manual = lookups.flows.filter((f) => f.status === 'published' && f.trigger === 'manual');
  const current = lookups.flows.find((f) => f.id === c.flow_id);
  if (current && !manual.includes(current)) manual.unshift(current);

  const name = h('input', { id: 'c-name', type: 'text', value: c.name || '', autocomplete: 'off' });
  const description = h('textarea', { id: 'c-description', rows: 2, value: c.description || '' });
  const flow = h('select', { id: 'c-flow' }, options(manual, 'Choose a published, manually triggered flow', c.flow_id));
  const group = h('select', { id: 'c-group' }, options(lookups.groups, 'Choose a group', c.group_id));
  const start = h('input', { id: 'c-start', type: 'datetime-local', value: toLocalInput(c.start_time) });
  const end = h('input', { id: 'c-end', type: 'datetime-local', value: toLocalInput(c.end_time) });
  const unit = h('select', { id: 'c-unit' },
    UNITS.map((u) => h('option', { value: u, selected: (c.execution_plan ? c.execution_plan.unit : 'day') === u }, u)));
  const every = h('input', { id: 'c-every', type: 'number', min: 1, max: 1000, step: 1, value: c.execution_plan ? c.execution_plan.every : 1 });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const form = h('form', { id: 'campaign-form', class: 'dialog-body', novalidate: true },
    field('c-name', 'Activity Name', name, counter(name, NAME_MAX)),
    field('c-description', 'Activity Description', description, counter(description, DESCRIPTION_MAX)),
    field('c-flow', 'Related process', flow),
    field('c-group', 'Associated groups', group),
    row(field('c-start', 'Start time', start,
      c.status === 'paused' && h('span', { class: 'hint' }, 'A paused campaign needs a new start time, later than now.')),
    field('c-end', 'End time', end)),
    h('p', { class: 'hint' }, `Times are in your time zone (${zone}).`),
    row(field('c-unit', 'Execution plan', unit), field('c-every', 'Every', every)));

  const fields = {
    name, description, flow_id: flow, group_id: group, start_time: start, end_time: end,
    execution_plan: unit, 'execution_plan.unit': unit, 'execution_plan.every': every,
  };
  const ok = h('button', { type: 'submit', form: 'campaign-form', class: 'primary' }, 'OK');
  const preview = h('button', {
    type: 'button', class: 'left',
    onclick: async () => {
      clearFieldErrors(form);
      if (!flow.value) {
        fieldError(flow, 'Choose a flow to preview.');
        return;
      }
      try {
        await showPreview(flow.value, lookups);
      } catch (err) {
        showApiError(form, err, { flow_id: flow });
      }
    },
  }, 'Preview process');
  const cancel = h('button', { type: 'button', onclick: () => handle.close() }, 'Cancel');
  const handle = openDialog(campaign ? 'Modify campaign' : 'Create an event', form, [preview, ok, cancel]);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault(); // the dialog saves through the API; the form never navigates
    clearFieldErrors(form);
    if (every.validity.badInput) {
      // the browser holds back what is not a number: the API would never see it
      fieldError(every, 'Every must be a whole number from 1 to 1000.');
      return;
    }
    const body = {
      name: name.value,
      description: description.value,
      flow_id: flow.value,
      group_id: group.value,
      start_time: fromLocalInput(start.value),
      end_time: fromLocalInput(end.value),
      // an empty Every means the API's default (1); anything else goes as typed, for the
      // API to judge and name
      execution_plan: { unit: unit.value, ...(every.value === '' ? {} : { every: Number(every.value) }) },
    };
    ok.disabled = true;
    try {
      if (campaign) await api('PATCH', path('campaigns', c.id), body, { headers: { 'If-Match': `"${c.version}"` } });
      else await api('POST', 'campaigns', body);
      handle.close();
      notice(campaign ? 'Campaign saved.' : 'Campaign created.');
      saved();
    } catch (err) {
      showApiError(form, err, fields);
    } finally {
      ok.disabled = false;
    }
  });
  name.focus();
}

/* ---------- the list ---------- */

const COLUMNS = ['Activity Name', 'Related process', 'Associated groups', 'Activity Status',
  'Effective period', 'Execution plan', 'Next run', 'Operation'];

/**
 * One campaign's <tr>. oneLine: the windowed list's form, of one fixed height: every cell
 * a single line (the last error after the name) with its full text as a title, but the
 * period, which keeps its two lines (start, end) as on a short page.
 */
function campaignRow(c, lookups, reload, oneLine) {
  const period = [when(c.start_time), ' –', h('br'), when(c.end_time)];
  const cells = [
    [h('a', { href: '#/' + path('campaigns', c.id) }, c.name),
      c.last_error && h(oneLine ? 'span' : 'div', { class: 'field-error' }, c.last_error)],
    lookups.flowName.get(c.flow_id) || c.flow_id,
    lookups.groupName.get(c.group_id) || c.group_id,
    pill(c.status),
    period,
    plan(c.execution_plan),
    when(c.next_run_at) || '—',
  ].map((content) => {
    const td = h('td', null, content);
    if (oneLine) td.title = td.textContent;
    return td;
  });
  return h('tr', { 'data-id': c.id }, cells, h('td', null, operations(c, lookups, reload)));
}

const WINDOW_FROM = 100; // a page of more campaigns than this is windowed
const OVERSCAN = 10;     // rows kept in the DOM above and below the visible ones
let rowHeight = 49;      // px, as console.css sets it (3.5rem); measured on the first windowed page

const gapRow = () => {
  const td = h('td', { colspan: COLUMNS.length });
  return { tr: h('tr', { class: 'gap', 'aria-hidden': 'true' }, td), set: (px) => { td.style.height = px + 'px'; } };
};

/*
 * Windowed (virtual) rendering. Chromium takes about 400 ms to style and lay out a full
 * page of 1,000 campaign rows with their buttons, hundreds of times the API's answer, and
 * every later relayout pays it again. So a long page keeps in the DOM only the rows in
 * and near the scrolled view of wrap (its own scroll box); a spacer row above and one
 * below stand for the rest. Rows are of one fixed height (console.css, table.windowed:
 * single-line cells), so row i lies at i × that height. Rows that stay in the window are
 * kept, not rebuilt, so focus and a half-done click survive scrolling; Tab moves to the
 * next row (kept by OVERSCAN), and the browser's scrolling it into view moves the window.
 * rowAt(i) builds row i. Returns stop(), which detaches the listeners.
 */
function windowRows(wrap, tbody, count, rowAt) {
  const above = gapRow();
  const below = gapRow();
  const shown = new Map(); // index -> its <tr>, in the DOM

  const range = () => {
    const top = wrap.scrollTop - tbody.offsetTop; // tbody.offsetTop: the header's height
    const view = wrap.clientHeight || window.innerHeight;
    const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
    const last = Math.min(count, Math.ceil((top + view) / rowHeight) + OVERSCAN);
    return [Math.min(first, last), last];
  };

  const update = () => {
    const [first, last] = range();
    for (const [i, tr] of shown) {
      if (i < first || i >= last) {
        tr.remove();
        shown.delete(i);
      }
    }
    let at = above.tr.nextElementSibling; // the rows kept are in order: fill in around them
    for (let i = first; i < last; i++) {
      const tr = shown.get(i);
      if (tr) {
        at = tr.nextElementSibling;
      } else {
        const made = rowAt(i);
        made.setAttribute('aria-rowindex', i + 2); // the header is row 1
        shown.set(i, made);
        tbody.insertBefore(made, at);
      }
    }
    above.set(first * rowHeight);
    below.set((count - last) * rowHeight);
  };

  tbody.append(above.tr, below.tr);
  below.set(count * rowHeight); // the full height first, so the scroll position holds
  update();
  const rows = [...shown.values()];
  if (rows.length) { // the rows' pitch, from the span of all shown: no rounding adds up
    const span = rows[rows.length - 1].getBoundingClientRect().bottom - rows[0].getBoundingClientRect().top;
    rowHeight = span / rows.length || rowHeight;
    update();
  }
  wrap.addEventListener('scroll', update, { passive: true });
  const resized = new ResizeObserver(update);
  resized.observe(wrap);
  return () => {
    wrap.removeEventListener('scroll', update);
    resized.disconnect();
  };
}

async function renderList(root) {
  root.append(h('h1', null, 'Marketing campaigns'));
  const lookups = await loadLookups();

  const fName = h('input', { id: 'f-name', type: 'search', autocomplete: 'off' });
  const fFlow = h('select', { id: 'f-flow' }, options(lookups.flows, 'All'));
  const fGroup = h('select', { id: 'f-group' }, options(lookups.groups, 'All'));
  const fStatus = h('select', { id: 'f-status' }, h('option', { value: '' }, 'All'),
    Object.entries(STATUS).map(([v, text]) => h('option', { value: v }, text)));
  const fRows = h('select', { id: 'f-rows' }, PAGE_SIZES.map((n) => h('option', { value: n }, n)));
  const create = h('button', {
    type: 'button', class: 'primary', disabled: !ctx.canWrite,
    onclick: () => openEditor(null, lookups, () => pager.reload(true)),
  }, 'Create an event');

  const status = h('div');
  const tbody = h('tbody');
  const table = h('table', null,
    h('thead', null, h('tr', null, COLUMNS.map((t) => h('th', { scope: 'col' }, t)))), tbody);
  const wrap = h('div', { class: 'table-wrap' }, table);
  const reload = () => pager.reload(false);
  let stopWindow = () => {};
  let firstId;

  // a long page windowed (windowRows), a short one whole
  const windowed = (on) => {
    table.classList.toggle('windowed', on);
    wrap.classList.toggle('windowed', on);
    for (const [k, v] of [['tabindex', '0'], ['aria-label', 'Campaigns']]) {
      if (on) wrap.setAttribute(k, v); else wrap.removeAttribute(k);
    }
  };
  const draw = (items) => {
    stopWindow();
    stopWindow = () => {};
    clear(status);
    clear(tbody);
    table.dataset.items = items.length; // what the list holds, whatever is in the DOM
    const many = items.length > WINDOW_FROM;
    windowed(many);
    if (many) table.setAttribute('aria-rowcount', items.length + 1); else table.removeAttribute('aria-rowcount');
    // the same page again (after an operation) keeps its place; another page starts at its top
    if (!items.length || items[0].id !== firstId) wrap.scrollTop = 0;
    firstId = items.length ? items[0].id : undefined;
    if (!items.length) {
      const filtered = fName.value || fFlow.value || fGroup.value || fStatus.value;
      tbody.append(h('tr', null, h('td', { class: 'empty', colspan: COLUMNS.length },
        filtered ? 'No campaign matches these filters.' : 'No campaigns yet.')));
    } else if (many) {
      stopWindow = windowRows(wrap, tbody, items.length, (i) => campaignRow(items[i], lookups, reload, true));
    } else {
      tbody.append(...items.map((c) => campaignRow(c, lookups, reload, false)));
    }
  };
  const pager = cursorPager((cursor) => {
    const q = new URLSearchParams({ limit: fRows.value });
    if (fName.value.trim()) q.set('name', fName.value.trim());
    if (fFlow.value) q.set('flow_id', fFlow.value);
    if (fGroup.value) q.set('group_id', fGroup.value);
    if (fStatus.value) q.set('status', fStatus.value);
    if (cursor) q.set('cursor', cursor);
    return api('GET', 'campaigns?' + q);
  }, draw, (err) => showApiError(clear(status), err));

  let typing;
  fName.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => pager.reload(true), 250); // one request per pause, not per key
  });
  for (const s of [fFlow, fGroup, fStatus, fRows]) s.addEventListener('change', () => pager.reload(true));

  root.append(
    h('div', { class: 'toolbar' },
      field('f-name', 'Activity Name', fName),
      field('f-flow', 'Related process', fFlow),
      field('f-group', 'Associated groups', fGroup),
      field('f-status', 'Activity Status', fStatus),
      field('f-rows', 'Rows per page', fRows),
      h('span', { class: 'spacer' }), create),
    status,
    wrap,
    pager.element);
  await pager.reload(true);
}

/* ---------- the detail ---------- */

function funnel(title, counts) {
  const top = counts.targeted || 0;
  return h('div', { class: 'funnel panel' }, h('h3', null, title), FUNNEL.map((k) => {
    const n = counts[k] || 0;
    const fill = h('div', { class: 'bar-fill' });
    fill.style.width = top ? `${Math.min(100, (100 * n) / top)}%` : '0';
    return h('div', { class: `funnel-row bar-${k}` },
      h('span', null, k), h('div', { class: 'bar', 'aria-hidden': 'true' }, fill), h('span', { class: 'num' }, n.toLocaleString()));
  }));
}

// A campaign run every minute has thousands of runs: the latest few show, the rest on demand.
function funnels(stats) {
  const runs = stats.by_run || [];
  const box = h('div', { class: 'funnels' });
  const show = (list) => box.replaceChildren(funnel(`All runs (${stats.runs || 0})`, stats),
    ...list.map((r) => funnel(`Run ${r.run}${r.fired_at ? ' · ' + formatTime(r.fired_at) : ''}`, r)));
  show(runs.slice(-RUNS_SHOWN));
  if (runs.length <= RUNS_SHOWN) return box;
  const all = h('button', { type: 'button', onclick: () => { show(runs); all.remove(); } }, `Show all ${runs.length} runs`);
  return h('div', null, box, h('p', null, all));
}

const CSV_COLUMNS = ['id', 'run', 'contact_id', 'node_id', 'channel_id', 'status', 'provider_message_id', 'error', 'attempts', 'updated_at'];

function csvCell(v) {
  let s = v === null || v === undefined ? '' : String(v);
  // a spreadsheet would run a cell starting like this as a formula
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function ledger(c) {
  const fStatus = h('select', { id: 'm-status' }, h('option', { value: '' }, 'All'),
    MESSAGE_STATUSES.map((s) => h('option', { value: s }, s)));
  const query = (cursor, limit) => {
    const q = new URLSearchParams({ limit });
    if (fStatus.value) q.set('status', fStatus.value);
    if (cursor) q.set('cursor', cursor);
    return `${path('campaigns', c.id, 'messages')}?${q}`;
  };
  const status = h('div');
  const tbody = h('tbody');
  const draw = (items) => {
    clear(status);
    clear(tbody);
    if (!items.length) tbody.append(h('tr', null, h('td', { class: 'empty', colspan: 8 }, 'No messages.')));
    for (const m of items) {
      tbody.append(h('tr', null,
        h('td', null, m.run), h('td', null, m.contact_id), h('td', null, m.node_id), h('td', null, m.channel_id),
        h('td', null, h('span', { class: 'pill pill-' + m.status }, m.status)),
        h('td', null, m.error || m.provider_message_id || ''), h('td', null, m.attempts), h('td', null, formatTime(m.updated_at))));
    }
  };
  const pager = cursorPager((cursor) => api('GET', query(cursor, LEDGER_PAGE)), draw, (err) => showApiError(clear(status), err));
  fStatus.addEventListener('change', () => pager.reload(true));

  const progress = h('span', { class: 'muted', 'aria-live': 'polite' });
  const download = h('button', {
    type: 'button',
    onclick: async () => {
      download.disabled = true;
      const lines = [CSV_COLUMNS.join(',')];
      try {
        let cursor = null;
        do {
          const page = await api('GET', query(cursor, BIG_PAGE));
          for (const m of page.items) lines.push(CSV_COLUMNS.map((k) => csvCell(m[k])).join(','));
          progress.textContent = `${lines.length - 1} messages read…`;
          cursor = page.next_cursor;
        } while (cursor);
        // the BOM makes spreadsheet programs read the file as UTF-8
        downloadText(`campaign-${c.id}-messages${fStatus.value ? '-' + fStatus.value : ''}.csv`,
          'text/csv;charset=utf-8', '\ufeff' + lines.join('\r\n') + '\r\n');
        progress.textContent = `${lines.length - 1} messages saved.`;
      } catch (err) {
        progress.textContent = '';
        notice(err.message, 'error');
      } finally {
        download.disabled = false;
      }
    },
  }, 'Download CSV');

  const element = h('section', null, h('h2', null, 'Messages'),
    h('div', { class: 'toolbar' }, field('m-status', 'Message status', fStatus), download, progress),
    status,
    h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, ['Run', 'Contact', 'Node', 'Channel', 'Status', 'Error or provider id', 'Attempts', 'Updated']
        .map((t) => h('th', { scope: 'col' }, t)))),
      tbody)),
    pager.element);
  return { element, load: () => pager.reload(true) };
}

async function renderDetail(root, id) {
  root.append(h('h1', null, 'Marketing campaigns'), h('p', null, h('a', { href: '#/campaigns' }, '← All campaigns')));
  const c = await api('GET', path('campaigns', id)); // first: an unknown id is one error, not three
  const [stats, lookups] = await Promise.all([api('GET', path('campaigns', id, 'stats')), loadLookups()]);
  const again = (deleted) => ctx.navigate(deleted ? '#/campaigns' : '#/' + path('campaigns', id));

  const settings = [
    ['Activity Name', c.name],
    ['Activity Description', c.description || '—'],
    ['Related process', h('a', { href: '#/' + path('flows', c.flow_id) }, lookups.flowName.get(c.flow_id) || c.flow_id)],
    ['Associated groups', h('a', { href: '#/' + path('groups', c.group_id) }, lookups.groupName.get(c.group_id) || c.group_id)],
    ['Effective period', `${formatTime(c.start_time)} – ${formatTime(c.end_time)}`],
    ['Execution plan', plan(c.execution_plan)],
    ['Next run', formatTime(c.next_run_at) || '—'],
    ['Runs', c.runs],
    ['Parameters', Object.entries(c.params || {}).map(([k, v]) => `${k} = ${v}`).join(', ') || '—'],
    ['Last error', c.last_error || '—'],
    ['ID', c.id],
    ['Updated', `${formatTime(c.updated_at)} (version ${c.version})`],
  ];
  const led = ledger(c);
  root.append(
    h('div', { class: 'toolbar' },
      h('h2', { class: 'title' }, c.name), pill(c.status), h('span', { class: 'spacer' }),
      h('button', { type: 'button', onclick: () => again(false) }, 'Refresh'),
      operations(c, lookups, again)),
    h('div', { class: 'panel' }, h('dl', { class: 'settings' }, settings.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
    h('h2', null, 'Counters'),
    funnels(stats),
    led.element);
  await led.load();
}

export async function render(root, params) {
  if (params.id) await renderDetail(root, params.id);
  else await renderList(root);
}
