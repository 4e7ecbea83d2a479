// Entry point: finds the API, keeps an eye on its health, and routes #/page/id to the
// page modules. A page module exports render(root, params), params being {id} from
// #/page/id (id is undefined on the list, 'new' for #/flows/new).

import { api, setApiBase } from './api.js';
import { h, formatTime } from './dom.js';

const HEALTH_EVERY_MS = 10000;
const STORE_NEARLY_FULL = 0.9;

const PAGES = {
  campaigns: { title: 'Marketing campaigns', load: () => import('./campaigns.js') },
  groups: { title: 'User groups', load: () => import('./groups.js') },
  contacts: { title: 'Contacts', load: () => import('./contacts.js') },
  flows: { title: 'Chat flows', load: () => import('./flows.js') },
  channels: { title: 'Channels', load: () => import('./channels.js') },
};

export const ctx = {
  canWrite: true,
  health: null,
  navigate(hash) {
    // assigning the hash it already has fires no hashchange, so render again by hand
    if (location.hash === hash) route();
    else location.hash = hash;
  },
};

function parseHash() {
  const [page, id] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { page: page || 'campaigns', id: id || undefined };
}

async function route() {
  const { page, id } = parseHash();
  for (const a of document.querySelectorAll('nav a[data-page]')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // A fresh <main> per visit: a slow render of the page just left writes into a detached
  // element instead of into the page now shown.
  const root = h('main', { id: 'main' });
  document.getElementById('main').replaceWith(root);
  const def = PAGES[page];
  if (!def) {
    root.append(h('h1', null, 'Page not found'), h('p', null, h('a', { href: '#/campaigns' }, 'Marketing campaigns')));
    return;
  }
  document.title = def.title + ' · Campaign console';
  try {
    const mod = await def.load();
    await mod.render(root, { id });
  } catch (err) {
    root.append(h('p', { class: 'form-error', role: 'alert' }, err.message || String(err)));
  }
}

function bytes(n) {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${n.toFixed(i && n < 10 ? 1 : 0)} ${units[i]}`;
}

function healthProblems(health) {
  const out = [];
  const { scheduler, store } = health;
  if (scheduler && !scheduler.alive) {
    const last = scheduler.last_heartbeat
      ? `its last heartbeat was at ${formatTime(scheduler.last_heartbeat)}`
      : 'it has never reported';
    out.push(`campaignd is not running: nothing will be sent (${last}).`);
  }
  if (scheduler && scheduler.alive && scheduler.last_error) {
    out.push(`campaignd cannot go on: ${scheduler.last_error}`);
  }
  if (store && !store.ok) out.push('The store cannot be opened: the API cannot read or save anything.');
  if (store && store.max_bytes > 0 && store.used_bytes / store.max_bytes >= STORE_NEARLY_FULL) {
    const pct = Math.floor((100 * store.used_bytes) / store.max_bytes);
    out.push(`The store is nearly full: ${pct}% of ${bytes(store.max_bytes)} used; writes fail once it is full.`);
  }
  return out;
}

function showBanner(lines) {
  const banner = document.getElementById('banner');
  banner.replaceChildren(...lines.map((l) => h('p', null, l)));
  banner.hidden = lines.length === 0;
}

async function checkHealth() {
  try {
    const health = await api('GET', 'health');
    ctx.health = health;
    showBanner(healthProblems(health));
    // an older module answers no api.write; it accepted writes then, so assume it does
    const canWrite = health.api?.write !== false;
    const changed = canWrite !== ctx.canWrite;
    ctx.canWrite = canWrite;
    document.getElementById('readonly').hidden = canWrite;
    return changed;
  } catch (err) {
    showBanner([err.message]);
    return false;
  }
}

async function start() {
  try {
    const res = await fetch('config.json', { cache: 'no-store' });
    if (res.ok) setApiBase((await res.json()).api);
  } catch {
    // no config: the API stays at the directive's default prefix, /api/
  }
  await checkHealth();
  window.addEventListener('hashchange', route);
  route();
  setInterval(async () => {
    // pages disable write controls as they render, so a change of mode renders again
    if (await checkHealth()) route();
  }, HEALTH_EVERY_MS);
}

start();
