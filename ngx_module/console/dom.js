// Building blocks shared by every page. Data only ever enters the document as text nodes
// or attribute values, never as markup: that is what keeps a campaign named
// <img src=x onerror=alert(1)> harmless.

import { ApiError } from './api.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

// value and checked are properties, set after the children so a <select> has its options
const PROPS = new Set(['value', 'checked']);

function build(el, attrs, children) {
  const props = [];
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (PROPS.has(k)) props.push([k, v]);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  for (const [k, v] of props) el[k] = v;
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false || c === true) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.append(c);
    else el.append(document.createTextNode(String(c)));
  }
}

/** h('button', {class: 'primary', onclick: fn}, 'OK'): an HTML element. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** The same for SVG elements. */
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

let dialogSeq = 0;

/**
 * A modal <dialog> removed from the document once closed.
 * buttons: elements, or {label, onclick({dialog, close}), primary}; a button without
 * onclick closes the dialog. Returns {dialog, close()}.
 */
export function openDialog(title, body, buttons = []) {
  const titleId = 'dialog-title-' + ++dialogSeq;
  const dialog = h('dialog', { 'aria-labelledby': titleId });
  const handle = { dialog, close: () => dialog.close() };
  const bar = h('div', { class: 'dialog-buttons' }, buttons.map((b) => (b instanceof Node ? b
    : h('button', {
      type: 'button',
      class: b.primary ? 'primary' : null,
      onclick: b.onclick ? () => b.onclick(handle) : handle.close,
    }, b.label))));
  dialog.append(h('h2', { id: titleId }, title), h('div', { class: 'dialog-body' }, body), bar);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return handle;
}

/** Asks before a destructive action: resolves true for OK, false for Cancel or Escape. */
export function confirmAction(message) {
  return new Promise((resolve) => {
    let answer = false;
    const { dialog } = openDialog('Please confirm', h('p', null, message), [
      { label: 'OK', primary: true, onclick: ({ close }) => { answer = true; close(); } },
      { label: 'Cancel' },
    ]);
    dialog.addEventListener('close', () => resolve(answer));
  });
}

/** Shows message right after the input's .field wrapper (or the input itself). */
export function fieldError(inputEl, message) {
  const anchor = inputEl.closest('.field') || inputEl;
  let err = anchor.nextElementSibling;
  if (!err || !err.classList.contains('field-error')) {
    err = h('p', { class: 'field-error', id: (inputEl.id || 'f' + ++dialogSeq) + '-error' });
    anchor.after(err);
  }
  err.textContent = message;
  inputEl.setAttribute('aria-invalid', 'true');
  inputEl.setAttribute('aria-describedby', err.id);
}

export function clearFieldErrors(container) {
  for (const el of container.querySelectorAll('.field-error, .form-error')) el.remove();
  for (const el of container.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  }
}

/**
 * Shows err at the input fieldMap[err.field] when there is one, else as a line at the top
 * of container. Errors that are not ApiErrors are bugs of ours; their text still shows.
 */
export function showApiError(container, err, fieldMap = {}) {
  const input = err instanceof ApiError && err.field ? fieldMap[err.field] : null;
  if (input) {
    fieldError(input, err.message);
    input.focus();
    return;
  }
  const old = container.querySelector(':scope > .form-error');
  const line = h('p', { class: 'form-error', role: 'alert' }, err.message || String(err));
  if (old) old.replaceWith(line);
  else container.prepend(line);
}

const pad = (n) => String(n).padStart(2, '0');

function localParts(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** '2026-12-01T01:00:00Z' -> '2026-12-01 09:00' in the browser's zone; '' for none. */
export function formatTime(rfc3339) {
  if (!rfc3339) return '';
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? String(rfc3339) : localParts(d).replace('T', ' ');
}

/** The value an <input type="datetime-local"> shows for that instant. */
export function toLocalInput(rfc3339) {
  if (!rfc3339) return '';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return '';
  return localParts(d) + (d.getSeconds() ? ':' + pad(d.getSeconds()) : '');
}

/**
 * A datetime-local value as RFC 3339 with the browser's offset at that instant
 * ('2026-12-01T09:00:00+08:00'); null when empty or malformed, so the API names the field.
 */
export function fromLocalInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value || '');
  if (!m) return null;
  const d = new Date(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  return `${localParts(d)}:${pad(d.getSeconds())}${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** A transient message at the top of the page; kind 'ok' or 'error'. */
export function notice(message, kind = 'ok') {
  let box = document.getElementById('notices');
  if (!box) {
    box = h('div', { id: 'notices', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const item = h('p', { class: 'notice notice-' + kind }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** Saves text as a file through a temporary object URL. */
export function downloadText(filename, mime, text) {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // revoking at once can cancel the download in some browsers
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
