// The pieces every page is built from: a labelled field, a list paged with
// the API's cursor, the body of a create or a PATCH, and the save itself.

import { api } from './api.js';
import { h, clear, openDialog, clearFieldErrors, showApiError } from './dom.js';

const PAGE_SIZE = 50;
let seq = 0;

/** A labelled input, wrapped in .field so dom.js puts its error right after it. */
export function field(label, input, note) {
  if (!input.id) input.id = 'pg-' + ++seq;
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, note);
}

export const optedOutTag = (c) => (c.opted_out ? h('span', { class: 'pill pill-opted-out' }, 'Opted out') : null);

/**
 * The body of a create (old null: every filled input) or of a PATCH (only what differs
 * from old; an emptied input sends null, which clears the value). pairs: [[apiKey, input]].
 */
export function changes(pairs, old) {
  const out = {};
  for (const [key, input] of pairs) {
    let v = input.value;
    if (input.type === 'checkbox') v = input.checked;
    else if (input.type === 'number' && v !== '') v = Number(v);
    const was = old?.[key] ?? (input.type === 'checkbox' ? false : '');
    if (String(v) === String(was)) continue;
    out[key] = v === '' ? null : v;
  }
  return out;
}

/** The API's error, with what to do when someone else saved first (412 on If-Match). */
export function explain(err) {
  if (err.status === 412) err.message += '. Someone else changed it meanwhile: reload the page to see their change.';
  return err;
}

/** Every item of a list (flows, groups for a select), 1000 a page, up to maxPages pages. */
export async function listAll(resource, maxPages = 10) {
  const items = [];
  let cursor = null;
  for (let n = 0; n < maxPages; n++) {
    const q = new URLSearchParams({ limit: 1000 });
    if (cursor) q.set('cursor', cursor);
    const page = await api('GET', `${resource}?${q}`);
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** Creates (old null) or patches old at path, with If-Match so no one's change is lost. */
export function save(path, old, data) {
  if (!old) return api('POST', path, data);
  return api('PATCH', path + '/' + encodeURIComponent(old.id), data,
    { headers: { 'If-Match': `"${old.version}"` } });
}

/**
 * A create / edit dialog of inputs {apiField: input}: OK saves what changed
 * (save()), keeps the dialog open with the API's errors at their fields,
 * and calls done() once saved.
 */
export function editDialog(title, body, inputs, path, old, done) {
  openDialog(title, body, [
    { label: 'OK', primary: true, onclick: async ({ close }) => {
      clearFieldErrors(body);
      try {
        await save(path, old, changes(Object.entries(inputs), old));
      } catch (err) {
        showApiError(body, explain(err), inputs);
        return;
      }
      close();
      done();
    } },
    { label: 'Cancel' },
  ]);
}

/**
 * A list paged with the API's cursor. fetchPage(cursor) resolves to {items, next_cursor};
 * draw(items) fills the table. Returns {element, reload(fromStart)}.
 */
export function cursorPager(fetchPage, draw, onError) {
  const stack = [null]; // the cursor of every page up to the one shown
  let next = null;
  let seq = 0;          // only the latest request may draw: filters can change quickly
  const prev = h('button', { type: 'button', onclick: () => { stack.pop(); load(); } }, 'Previous page');
  const more = h('button', { type: 'button', onclick: () => { stack.push(next); load(); } }, 'Next page');
  async function load() {
    const mine = ++seq;
    prev.disabled = more.disabled = true;
    try {
      const page = await fetchPage(stack[stack.length - 1]);
      if (mine !== seq) return;
      if (!page.items.length && stack.length > 1) {
        // the last item of a later page went (deleted, or filtered out): show the one before
        stack.pop();
        return load();
      }
      next = page.next_cursor;
      draw(page.items);
    } catch (err) {
      if (mine === seq) onError(err);
    } finally {
      if (mine === seq) {
        prev.disabled = stack.length < 2;
        more.disabled = !next;
      }
    }
  }
  return {
    element: h('div', { class: 'pager' }, prev, more),
    reload(fromStart) {
      if (fromStart) stack.length = 1;
      return load();
    },
  };
}

/**
 * A table of path's items paged with cursorPager; path has no limit/cursor;
 * row(item, reload) gives a <tr>. Returns {el, reload}.
 */
export function pagedTable(path, head, row, empty) {
  const list = h('div');
  const pager = cursorPager((cursor) => api('GET', `${path}${path.includes('?') ? '&' : '?'}limit=${PAGE_SIZE}` +
      (cursor ? '&cursor=' + encodeURIComponent(cursor) : '')),
    (items) => list.replaceChildren(items.length
      ? h('div', { class: 'table-wrap' }, h('table', null,
        h('thead', null, h('tr', null, head.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, items.map((it) => row(it, reload)))))
      : h('p', { class: 'muted' }, empty)),
    (err) => showApiError(clear(list), err));
  const reload = () => pager.reload();
  return { el: h('div', { class: 'paged' }, list, pager.element), reload };
}
