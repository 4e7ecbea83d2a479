// Channels: the list with readiness and the provider's last error in plain words, and the
// create / edit dialog. Secrets are write-only: never shown, only "set" / "not set".

import { ctx } from './app.js';
import { api } from './api.js';
import { h, openDialog, confirmAction, clearFieldErrors, showApiError } from './dom.js';
import { field, changes, pagedTable, explain, save } from './widgets.js';

const TYPES = { whatsapp: 'WhatsApp', viber: 'Viber' };

// [api key, label, kind]; kind 'secret' is a password input that is sent only when filled
const SETTINGS = {
  whatsapp: [['waba_id', 'WABA ID'], ['phone_number_id', 'Phone number ID'], ['access_token', 'Access token', 'secret'],
    ['app_secret', 'App secret', 'secret'], ['verify_token', 'Verify token', 'secret'], ['api_base_url', 'API base URL']],
  viber: [['sender_name', 'Sender name'], ['auth_token', 'Auth token', 'secret'],
    ['service_account_status', 'Service account status', 'select'], ['api_base_url', 'API base URL']],
};
const LIMITS = [['rate_limit_per_second', 'Rate limit per second'], ['max_in_flight', 'Max in flight'], ['min_gap_seconds', 'Min gap seconds']];

function settingInput(kind, value, isSet) {
  if (kind === 'secret') {
    return h('input', { type: 'password', autocomplete: 'new-password', placeholder: isSet ? 'empty keeps the stored one' : null });
  }
  if (kind === 'select') {
    return h('select', { value: value ?? 'pending' },
      ['pending', 'approved', 'rejected'].map((s) => h('option', { value: s }, s)));
  }
  return h('input', { type: 'text', autocomplete: 'off', value: value ?? '' });
}

/** The fields of one type: {el, map (API field -> input), body()} where body() is that type's object to send. */
function typeSection(type, channel) {
  const old = channel?.[type] ?? null;
  const plain = [];
  const secrets = [];
  const map = {};
  const rows = SETTINGS[type].map(([key, label, kind]) => {
    const input = settingInput(kind, old?.[key], old?.[key + '_set']);
    map[`${type}.${key}`] = input;
    (kind === 'secret' ? secrets : plain).push([key, input]);
    const note = kind === 'secret' && channel
      ? h('span', { class: 'secret-note' }, old?.[key + '_set'] ? 'set' : 'not set') : null;
    return field(label, input, note);
  });
  return {
    map,
    // a <form> of its own only because browsers want password inputs in one (one per type)
    el: h('form', { onsubmit: (e) => e.preventDefault() }, h('fieldset', null, h('legend', null, TYPES[type]), rows)),
    body() {
      const out = changes(plain, old);
      // an empty secret keeps the stored one: nothing to send
      for (const [key, input] of secrets) if (input.value) out[key] = input.value;
      return out;
    },
  };
}

/** Create (channel null) or edit dialog. The type is chosen at create and fixed after. */
function editChannel(channel, done) {
  const name = h('input', { type: 'text', value: channel?.name ?? '' });
  const type = h('select', { value: channel?.type ?? 'whatsapp', disabled: !!channel },
    Object.entries(TYPES).map(([v, t]) => h('option', { value: v }, t)));
  const limits = LIMITS.map(([key]) => [key, h('input', { type: 'number', min: 0, step: 1, value: channel?.[key] ?? '' })]);
  const sections = { whatsapp: typeSection('whatsapp', channel), viber: typeSection('viber', channel) };
  const show = () => { for (const [t, s] of Object.entries(sections)) s.el.hidden = t !== type.value; };
  type.addEventListener('change', show);
  show();
  const fieldMap = { name, type, ...Object.fromEntries(limits), ...sections.whatsapp.map, ...sections.viber.map };
  const body = h('div', { class: 'form' },
    field('Name', name), field('Type', type), sections.whatsapp.el, sections.viber.el,
    limits.map(([, input], i) => field(LIMITS[i][1], input)),
    channel ? null : h('p', { class: 'hint' }, 'Empty sending limits take the type\'s defaults.'));
  openDialog(channel ? 'Edit channel' : 'Create channel', body, [
    { label: 'OK', primary: true, onclick: async ({ close }) => {
      clearFieldErrors(body);
      const data = changes([['name', name], ...limits], channel);
      const settings = sections[type.value].body();
      if (Object.keys(settings).length) data[type.value] = settings;
      try {
        await save('channels', channel, channel ? data : { ...data, type: type.value });
      } catch (err) {
        showApiError(body, explain(err), fieldMap);
        return;
      }
      close();
      done();
    } },
    { label: 'Cancel' },
  ]);
}

/** not_ready_reason with the API's field names replaced by the labels the dialog shows. */
function readiness(c) {
  if (c.ready) return h('span', { class: 'pill pill-running' }, 'Ready');
  let why = c.not_ready_reason || 'settings are missing';
  for (const [key, label] of SETTINGS[c.type] || []) why = why.replace(new RegExp(`\\b${key}\\b`, 'g'), label);
  return [h('span', { class: 'pill pill-paused' }, 'Not ready'), ' ', why];
}
const providerStatus = (c) => (c.status === 'error'
  ? [h('span', { class: 'pill pill-failed' }, 'Error'), ' ', c.last_error || 'the provider refused the credentials']
  : h('span', { class: 'pill pill-running' }, 'OK'));
const limitsText = (c) => `${c.rate_limit_per_second}/s, ${c.max_in_flight} in flight, ` +
  `${c.min_gap_seconds} s gap per contact`;

export async function render(root) {
  const errors = h('div');
  const list = pagedTable('channels', ['Name', 'Type', 'Ready', 'Status', 'Rate limit', 'Operation'], (c, reload) => {
    const del = async () => {
      if (!(await confirmAction(`Delete channel "${c.name}"?`))) return;
      try {
        await api('DELETE', 'channels/' + encodeURIComponent(c.id));
      } catch (err) {
        showApiError(errors, err);
        return;
      }
      reload();
    };
    return h('tr', null,
      h('td', null, c.name), h('td', null, TYPES[c.type] ?? c.type),
      h('td', null, readiness(c)),
      h('td', null, providerStatus(c)),
      h('td', null, limitsText(c)),
      h('td', null, h('div', { class: 'ops' },
        h('button', { type: 'button', disabled: !ctx.canWrite, onclick: () => editChannel(c, reload) }, 'Edit'),
        h('button', { type: 'button', disabled: !ctx.canWrite, onclick: del }, 'Delete'))));
  }, 'No channels yet.');
  root.append(h('h1', null, 'Channels'),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'primary', disabled: !ctx.canWrite, onclick: () => editChannel(null, () => list.reload()) }, 'Create channel')),
    errors, list.el);
  await list.reload();
}
