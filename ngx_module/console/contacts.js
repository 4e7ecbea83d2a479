// Contacts: the list (search by name prefix or phone), create / edit / delete, and the
// bulk import.

import { ctx } from './app.js';
import { api } from './api.js';
import { h, confirmAction, clearFieldErrors, showApiError } from './dom.js';
import { field, optedOutTag, pagedTable, listAll, editDialog } from './widgets.js';


const FIELDS = [['phone', 'Phone'], ['name', 'Name'], ['email', 'Email'], ['country', 'Country'],
  ['remark', 'Remark'], ['viber_id', 'Viber ID']];

/** Create (contact null) or edit dialog; done() runs after a successful save. */
function editContact(contact, done) {
  const inputs = {};
  for (const [key] of FIELDS) inputs[key] = h('input', { type: key === 'email' ? 'email' : 'text', value: contact?.[key] ?? '' });
  inputs.opted_out = h('input', { type: 'checkbox', checked: !!contact?.opted_out });
  const body = h('div', { class: 'form' },
    FIELDS.map(([key, label]) => field(label, inputs[key])),
    field('Opted out', inputs.opted_out));
  editDialog(contact ? 'Edit contact' : 'Create contact', body, inputs, 'contacts', contact, done);
}

function contactRow(c, reload, errors) {
  const del = async () => {
    if (!(await confirmAction(`Delete contact ${c.phone}${c.name ? ' (' + c.name + ')' : ''}? It leaves every group.`))) return;
    try {
      await api('DELETE', 'contacts/' + encodeURIComponent(c.id));
    } catch (err) {
      showApiError(errors, err);
      return;
    }
    reload();
  };
  return h('tr', null,
    h('td', null, c.phone), h('td', null, c.name ?? ''), h('td', null, c.email ?? ''),
    h('td', null, c.country ?? ''), h('td', null, c.viber_id ?? ''), h('td', null, c.remark ?? ''),
    h('td', null, optedOutTag(c)),
    h('td', null, h('div', { class: 'ops' },
      h('button', { type: 'button', disabled: !ctx.canWrite, onclick: () => editContact(c, reload) }, 'Edit'),
      h('button', { type: 'button', disabled: !ctx.canWrite, onclick: del }, 'Delete'))));
}

/**
 * The import body: CSV as is; NDJSON / JSON Lines as is; a .json file holding an array
 * (or one object) becomes NDJSON, one contact a line, so rejected line n is element n.
 */
function importBody(name, text) {
  if (/\.csv$/i.test(name)) return { text, type: 'text/csv' };
  if (/\.json$/i.test(name)) {
    try {
      const doc = JSON.parse(text);
      const items = Array.isArray(doc) ? doc : [doc];
      return { text: items.map((x) => JSON.stringify(x)).join('\n') + '\n', type: 'application/x-ndjson' };
    } catch {
      // not one JSON document: maybe NDJSON named .json; the API reports each bad line
    }
  }
  return { text, type: 'application/x-ndjson' };
}

function importResult(r) {
  const counts = `Created: ${r.created}, updated: ${r.updated}, unchanged: ${r.unchanged ?? 0}, ` +
    `ignored: ${r.ignored ?? 0}, rejected: ${r.rejected_total ?? r.rejected.length}.`;
  const more = (r.rejected_total ?? 0) - r.rejected.length;
  return h('div', { class: 'import-result', role: 'status' },
    h('p', null, counts),
    r.rejected.length ? h('ul', { class: 'rejected' }, r.rejected.map((x) => h('li', null, `Line ${x.line}: ${x.error}`))) : null,
    more > 0 ? h('p', null, `${more} more rejected lines are not listed.`) : null);
}

async function importForm(onDone) {
  const file = h('input', { type: 'file', accept: '.csv,.ndjson,.jsonl,.json', disabled: !ctx.canWrite });
  const group = h('select', { disabled: !ctx.canWrite }, h('option', { value: '' }, '(none)'));
  const dup = h('select', { disabled: !ctx.canWrite },
    h('option', { value: 'overwrite' }, 'overwrite'), h('option', { value: 'ignore' }, 'ignore'));
  const out = h('div');
  const form = h('section', { class: 'import' }, h('h2', null, 'Import contacts'),
    h('p', { class: 'hint' }, 'CSV with a header row (phone,name,viber_id,attr.city,...), or one JSON contact a line.'),
    field('Import file', file), field('Add to group', group), field('On duplicate', dup));
  const run = async () => {
    clearFieldErrors(form);
    out.replaceChildren();
    const f = file.files[0];
    if (!f) {
      showApiError(form, new Error('Choose a file to import.'));
      return;
    }
    const { text, type } = importBody(f.name, await f.text());
    const q = new URLSearchParams({ on_duplicate: dup.value });
    if (group.value) q.set('group_id', group.value);
    try {
      out.append(importResult(await api('POST', 'contacts/import?' + q, text, { type })));
    } catch (err) {
      showApiError(form, err, { group_id: group, on_duplicate: dup });
      return;
    }
    onDone();
  };
  form.append(h('button', { type: 'button', disabled: !ctx.canWrite, onclick: run }, 'Import'), out);
  try {
    for (const g of await listAll('groups')) group.append(h('option', { value: g.id }, g.name));
  } catch (err) {
    showApiError(form, err);
  }
  return form;
}

export async function render(root) {
  const q = h('input', { type: 'search' });
  const phone = h('input', { type: 'search' });
  const errors = h('div');
  const listBox = h('div');
  let list;
  const search = () => {
    errors.replaceChildren();
    const args = new URLSearchParams();
    if (q.value.trim()) args.set('q', q.value.trim());
    if (phone.value.trim()) args.set('phone', phone.value.trim());
    list = pagedTable('contacts' + (args.toString() ? '?' + args : ''),
      ['Phone', 'Name', 'Email', 'Country', 'Viber ID', 'Remark', 'Opted out', 'Operation'],
      (c, reload) => contactRow(c, reload, errors), 'No contacts.');
    listBox.replaceChildren(list.el);
    return list.reload();
  };
  const searchForm = h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); search(); } },
    field('Search by name', q), field('Search by phone', phone), h('button', { type: 'submit' }, 'Search'));
  root.append(h('h1', null, 'Contacts'),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'primary', disabled: !ctx.canWrite, onclick: () => editContact(null, () => list.reload()) }, 'Create contact')),
    searchForm, errors, listBox);
  await search();
  root.append(await importForm(() => list.reload()));
}
