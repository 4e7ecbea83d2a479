// User groups: the list with create / rename / delete, and a group's page with its
// members (add by phone, remove).

import { ctx } from './app.js';
import { api } from './api.js';
import { h, confirmAction, fieldError, clearFieldErrors, showApiError } from './dom.js';
import { field, pagedTable, optedOutTag, editDialog } from './widgets.js';

const path = (id) => 'groups/' + encodeURIComponent(id);

/** Create (group null) or rename dialog; a rename carries If-Match so two operators cannot overwrite each other. */
function editGroup(group, done) {
  const inputs = {
    name: h('input', { type: 'text', value: group?.name ?? '' }),
    description: h('textarea', { rows: 3 }),
  };
  inputs.description.value = group?.description ?? '';
  const body = h('div', { class: 'form' }, field('Name', inputs.name), field('Description', inputs.description));
  editDialog(group ? 'Rename group' : 'Create group', body, inputs, 'groups', group, done);
}

/** Asks, deletes, then done(); a 409 (a campaign still uses it) shows in errors in the API's words. */
async function deleteGroup(group, errors, done) {
  if (!(await confirmAction(`Delete group "${group.name}"? Its contacts stay.`))) return;
  try {
    await api('DELETE', path(group.id));
  } catch (err) {
    showApiError(errors, err);
    return;
  }
  done();
}

function groupButtons(group, errors, onChange, onDelete) {
  return [
    h('button', { type: 'button', disabled: !ctx.canWrite, onclick: () => editGroup(group, onChange) }, 'Rename'),
    h('button', { type: 'button', disabled: !ctx.canWrite, onclick: () => deleteGroup(group, errors, onDelete) }, 'Delete'),
  ];
}

async function renderList(root) {
  const errors = h('div');
  const list = pagedTable('groups', ['Name', 'Description', 'Contacts', 'Operation'], (g, reload) =>
    h('tr', null,
      h('td', null, h('a', { href: '#/groups/' + encodeURIComponent(g.id) }, g.name)),
      h('td', null, g.description ?? ''),
      h('td', { class: 'num' }, g.contact_count),
      h('td', null, h('div', { class: 'ops' }, groupButtons(g, errors, reload, reload)))),
    'No groups yet.');
  root.append(h('h1', null, 'User groups'),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'primary', disabled: !ctx.canWrite, onclick: () => editGroup(null, () => list.reload()) }, 'Create group')),
    errors, list.el);
  await list.reload();
}

/** One or many phones, separated by newlines, commas, semicolons or spaces. */
const parsePhones = (text) => text.split(/[\s,;]+/).filter(Boolean);

async function renderGroup(root, id) {
  root.append(h('h1', null, 'User groups'));
  let group;
  try {
    group = await api('GET', path(id));
  } catch (err) {
    showApiError(root, err);
    return;
  }
  const errors = h('div');
  const again = () => ctx.navigate('#/groups/' + encodeURIComponent(id));
  const remove = async (c) => {
    if (!(await confirmAction(`Remove ${c.phone} from group "${group.name}"?`))) return;
    try {
      await api('DELETE', path(id) + '/members', { contact_ids: [c.id] });
    } catch (err) {
      showApiError(errors, err);
      return;
    }
    again();
  };
  const members = pagedTable(path(id) + '/members', ['Phone', 'Name', 'Opted out', 'Operation'], (c) =>
    h('tr', null,
      h('td', null, c.phone), h('td', null, c.name ?? ''), h('td', null, optedOutTag(c)),
      h('td', null, h('div', { class: 'ops' },
        h('button', { type: 'button', disabled: !ctx.canWrite, onclick: () => remove(c) }, 'Remove')))),
    'No members yet.');

  const phones = h('textarea', { rows: 3, disabled: !ctx.canWrite });
  const add = h('section', { class: 'add-members' }, h('h2', null, 'Add members by phone'), field('Phone numbers', phones,
    h('span', { class: 'hint' }, 'One or many: one a line, or separated by commas or spaces.')));
  const addMembers = async () => {
    clearFieldErrors(add);
    const list = parsePhones(phones.value);
    // the API takes an empty list as a no-op; say why nothing happened
    if (!list.length) {
      fieldError(phones, 'Enter one or more phone numbers, such as +8613800000000.');
      return;
    }
    try {
      await api('POST', path(id) + '/members', { phones: list });
    } catch (err) {
      showApiError(add, err, { phones });
      return;
    }
    again();
  };
  add.append(h('button', { type: 'button', disabled: !ctx.canWrite, onclick: addMembers }, 'Add members'));

  root.append(h('div', { class: 'group-page' },
    h('p', null, h('a', { href: '#/groups' }, 'All groups')),
    h('h2', null, group.name),
    group.description ? h('p', null, group.description) : null,
    h('p', null, `${group.contact_count} contacts`),
    h('div', { class: 'toolbar' }, groupButtons(group, errors, again, () => ctx.navigate('#/groups'))),
    errors, add, h('h2', null, 'Members'), members.el));
  await members.reload();
}

export async function render(root, params) {
  if (params.id) await renderGroup(root, params.id);
  else await renderList(root);
}
