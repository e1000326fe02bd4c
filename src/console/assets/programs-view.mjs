import { api, getUser, isAbort, isAdmin } from './api.mjs';
import { badge, countsOf, fmt, h, progressBar, progressText, RUNNING, time, updateProgressBar } from './dom.mjs';
import { notifyError } from './notice.mjs';
import { poller } from './poll.mjs';
import { rememberList, replaceRoute, routeHref } from './routes.mjs';

const PAGE = 50;
// The list can only be re-read whole (it has no ETag), so it is re-read often only while something
// on it runs; otherwise now and then, so programs created elsewhere still appear.
const FAST_MS = 2000;
const SLOW_MS = 10000;
const MAX_LIMIT = 1000;
const STATUSES = ['pending', 'processing', 'completed', 'completed_with_failures', 'cancelled', 'aborted'];
const STAGE_SHORT = { preprocessing: 'pre', document: 'doc' };

/**
 * The user's programs, newest first, kept up to date while any of them runs. An admin may switch to
 * every user's programs (the operator view: GET /v1/programs?all_users=true), with their owners.
 */
export function programsView(root, params) {
  const status = STATUSES.includes(params.get('status')) ? params.get('status') : '';
  const allUsers = isAdmin() && params.get('all') === '1';
  const routeParams = (changes) => ({ status, all: allUsers ? '1' : undefined, ...changes });
  rememberList(routeParams({}));
  let items = [];
  let nextCursor = null;
  let loaded = false;
  const rows = new Map();
  const countsQueue = createQueue(4);

  const statusSelect = h(
    'select',
    {
      id: 'status-filter',
      onchange: () => (location.hash = routeHref([], routeParams({ status: statusSelect.value }))),
    },
    h('option', { value: '' }, 'All statuses'),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, s.replaceAll('_', ' '))),
  );
  const liveNote = h('span', { class: 'live-note muted' });
  const everyone = isAdmin()
    ? h(
        'span',
        { class: 'toggle' },
        h('input', {
          type: 'checkbox',
          id: 'all-users',
          checked: allUsers,
          onchange: (e) => (location.hash = routeHref([], routeParams({ all: e.target.checked ? '1' : undefined }))),
        }),
        h('label', { for: 'all-users' }, 'All users'),
      )
    : null;
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty muted', hidden: true });
  const more = h(
    'button',
    { type: 'button', class: 'secondary', hidden: true, onclick: () => void loadMore() },
    'Load more',
  );

  root.replaceChildren(
    h(
      'section',
      { class: 'view' },
      h(
        'div',
        { class: 'view-head' },
        h('h1', null, 'Programs'),
        h('p', { class: 'muted' }, allUsers ? 'of every user, newest first' : `of ${getUser()}, newest first`),
      ),
      h(
        'div',
        { class: 'toolbar' },
        h('label', { for: 'status-filter' }, 'Status'),
        statusSelect,
        everyone,
        h('button', { type: 'button', class: 'secondary', onclick: () => poll.now() }, 'Refresh'),
        liveNote,
      ),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'programs', id: 'programs-table' },
          h('caption', { class: 'visually-hidden' }, 'Programs, newest first'),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', { scope: 'col' }, 'Program'),
              allUsers ? h('th', { scope: 'col' }, 'Owner') : null,
              h('th', { scope: 'col' }, 'Status'),
              h('th', { scope: 'col', class: 'col-progress' }, 'Progress'),
              h('th', { scope: 'col' }, 'Failures by code'),
              h('th', { scope: 'col', class: 'num' }, 'Files'),
              h('th', { scope: 'col' }, 'Created'),
            ),
          ),
          tbody,
        ),
      ),
      empty,
      more,
    ),
  );

  function render() {
    const seen = new Set();
    const ordered = [];
    for (const item of items) {
      seen.add(item.program_id);
      let row = rows.get(item.program_id);
      if (!row) {
        row = createRow(item);
        rows.set(item.program_id, row);
      }
      updateRow(row, item);
      ordered.push(row.tr);
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
    // Re-appending rows already in place keeps them (and any focus inside them) where they are.
    ordered.forEach((tr, i) => {
      if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] ?? null);
    });
    empty.hidden = !loaded || items.length > 0;
    const whose = allUsers ? '' : ` for ${getUser()}`;
    empty.textContent = status
      ? `No ${status.replaceAll('_', ' ')} programs${whose}.`
      : `No programs yet${whose}. Create one with POST /v1/programs or the CLI.`;
    more.hidden = !nextCursor;
    const running = items.filter((i) => RUNNING.has(i.status)).length;
    liveNote.textContent = running > 0 ? `${fmt(running)} running · updating live` : '';
  }

  function createRow(item) {
    const bar = progressBar(countsOf(item));
    const barText = h('span', { class: 'progress-text' });
    const statusCell = h('td', { class: 'col-status' });
    const failures = h('td', { class: 'col-failures' });
    const tr = h(
      'tr',
      { dataset: { programId: item.program_id } },
      h(
        'td',
        { class: 'col-name' },
        h('a', { href: routeHref(['programs', item.program_id]) }, item.name),
        h('span', { class: 'id muted' }, item.program_id),
      ),
      allUsers ? h('td', { class: 'col-owner' }, item.user_id) : null,
      statusCell,
      h('td', { class: 'col-progress' }, bar, barText),
      failures,
      h('td', { class: 'num' }, fmt(item.total_files)),
      h('td', null, time(item.created_at)),
    );
    return { tr, bar, barText, statusCell, failures, sig: '' };
  }

  function updateRow(row, item) {
    const c = countsOf(item);
    const sig = JSON.stringify([item.status, c]);
    if (sig === row.sig) return;
    row.sig = sig;
    row.statusCell.replaceChildren(badge(item.status));
    updateProgressBar(row.bar, c);
    row.barText.textContent = progressText(c);
    if (c.failed === 0) {
      row.failures.replaceChildren(h('span', { class: 'muted' }, '—'));
    } else {
      // Only the programs that failed something cost a request, a few at a time.
      countsQueue.push(() => loadFailureChips(item.program_id, row.failures, sig));
    }
  }

  async function loadFailureChips(programId, cell, sig) {
    if (rows.get(programId)?.sig !== sig) return;
    try {
      const res = await api.failureCounts(programId, poll.signal);
      cell.replaceChildren(failureChips(res.body.items));
    } catch (e) {
      if (!isAbort(e)) cell.replaceChildren(h('span', { class: 'muted' }, 'unavailable'));
    }
  }

  async function refresh(signal) {
    const limit = Math.min(MAX_LIMIT, Math.max(PAGE, items.length));
    const res = await api.listPrograms({ status, limit, all_users: allUsers ? 'true' : undefined }, signal);
    const fresh = res.body.items;
    if (items.length > limit) {
      // Pages beyond the re-read window stay as they were loaded.
      const ids = new Set(fresh.map((i) => i.program_id));
      items = fresh.concat(items.slice(limit).filter((i) => !ids.has(i.program_id)));
    } else {
      items = fresh;
      nextCursor = res.body.next_cursor;
    }
    loaded = true;
    render();
  }

  async function loadMore() {
    more.disabled = true;
    try {
      const res = await api.listPrograms(
        { status, limit: PAGE, cursor: nextCursor, all_users: allUsers ? 'true' : undefined },
        poll.signal,
      );
      const ids = new Set(items.map((i) => i.program_id));
      items = items.concat(res.body.items.filter((i) => !ids.has(i.program_id)));
      nextCursor = res.body.next_cursor;
      render();
    } catch (e) {
      if (!isAbort(e)) notifyError('Loading more programs', e);
    } finally {
      more.disabled = false;
    }
  }

  replaceRoute([], routeParams({}));
  const poll = poller(
    refresh,
    () => (items.some((i) => RUNNING.has(i.status)) ? FAST_MS : SLOW_MS),
    'Loading programs',
  );
  return { dispose: () => poll.stop() };
}

/** The most common failures of a program as small labelled chips; the rest summed up. */
function failureChips(counts) {
  const top = counts.slice(0, 3);
  const rest = counts.slice(3).reduce((n, c) => n + c.count, 0);
  const all = counts.map((c) => `${c.error_code} (${c.stage}): ${c.count}`).join('\n');
  return h(
    'ul',
    { class: 'chips', title: all },
    top.map((c) =>
      h(
        'li',
        { class: ['chip', `chip-${c.stage}`] },
        h(
          'span',
          { class: 'chip-stage' },
          h('span', { 'aria-hidden': 'true' }, STAGE_SHORT[c.stage] ?? c.stage),
          h('span', { class: 'visually-hidden' }, c.stage),
        ),
        h('code', null, c.error_code),
        h('span', { class: 'chip-count' }, fmt(c.count)),
      ),
    ),
    rest > 0 ? h('li', { class: 'chip chip-more' }, `+${fmt(rest)} more`) : null,
  );
}

/** Runs queued async jobs, at most `n` at a time. */
function createQueue(n) {
  const waiting = [];
  let active = 0;
  const next = () => {
    while (active < n && waiting.length > 0) {
      const job = waiting.shift();
      active++;
      void job().finally(() => {
        active--;
        next();
      });
    }
  };
  return {
    push(job) {
      waiting.push(job);
      next();
    },
  };
}
