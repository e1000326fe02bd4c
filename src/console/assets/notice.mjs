import { h } from './dom.mjs';

// One live region for every outcome an operator should read: a refusal of the API is explained in
// words, with the service's own message and code beside it, never as raw JSON in an alert box.

const HINTS = {
  PROGRAM_BUSY: 'The program is busy: its first run or another retry is going on. Try again once it has finished.',
  RETRY_CAPACITY: 'The service is running as many retries as it allows at once.',
  SHUTTING_DOWN: 'This instance of the service is shutting down.',
  PROGRAM_NOT_RUNNING: 'The program has already settled: there is nothing left to cancel.',
  PROGRAM_NOT_FOUND: 'There is no such program for this user.',
  FILE_NOT_FOUND: 'The program has no file at this index.',
  RETRY_NOT_FOUND: 'That retry run is unknown.',
  INVALID_USER_ID: 'The user ID is not valid (1 to 128 characters).',
  UNAUTHENTICATED: 'The service does not know who you are: sign in again.',
  USER_MISMATCH: 'The user in the address is not the one you are signed in as.',
  ADMIN_REQUIRED: 'Only an admin may do this.',
  INVALID_SELECTION: 'The selection of files could not be retried.',
  UNREACHABLE: 'The service could not be reached.',
};

function region() {
  return document.getElementById('notice');
}

/**
 * Shows a notice. `kind`: info | success | error. Errors stay until dismissed or replaced; the others
 * too, since an operator may look away while a retry runs.
 */
export function notify(kind, title, detail) {
  const box = h(
    'div',
    { class: ['notice', `notice-${kind}`], dataset: { kind } },
    h('p', { class: 'notice-title' }, title),
    detail ? h('p', { class: 'notice-detail' }, detail) : null,
    h('button', { type: 'button', class: 'notice-close', 'aria-label': 'Dismiss notice', onclick: clearNotice }, '×'),
  );
  region().replaceChildren(box);
}

export function clearNotice() {
  region().replaceChildren();
}

/** A refused call, as an operator would like to read it. */
export function notifyError(what, err) {
  if (!err || err.name !== 'ApiError') {
    notify('error', `${what} failed.`, String(err?.message ?? err));
    return;
  }
  const hint = HINTS[err.code];
  if (err.status === 0) {
    notify('error', `${what} failed: ${hint}`, err.message);
    return;
  }
  const wait = err.retryAfter ? ` Try again in ${err.retryAfter} s.` : '';
  const title = `${what} was refused. ${hint ?? ''}${wait}`.replace(/\s+/g, ' ').trim();
  const detail = h(
    'span',
    null,
    err.message && err.message !== hint ? `${err.message} ` : '',
    h('code', { class: 'code' }, err.code),
    err.status ? ` · HTTP ${err.status}` : '',
  );
  notify('error', title, detail);
}
