import { api, getUser, isAbort, isAdmin } from './api.mjs';
import { failureChart } from './chart.mjs';
import { confirmAction } from './confirm.mjs';
import { badge, countsOf, fmt, h, progressBar, progressText, RUNNING, time, updateProgressBar } from './dom.mjs';
import { failuresTable } from './failures-table.mjs';
import { notify, notifyError } from './notice.mjs';
import { poller } from './poll.mjs';
import { describeRun, runRetry } from './retry.mjs';
import { listHref, replaceRoute } from './routes.mjs';

// While the first run goes on the program is asked for every second; its ETag makes an unchanged
// answer a bodiless 304. Settled, it is still asked now and then: a scheduled retry may change it.
const RUNNING_MS = 1000;
const SETTLED_MS = 3000;
// Failure counts and the table are re-read at most this often while failures keep arriving.
const RECOUNT_MS = 2000;

/** One program: summary, progress, what failed and why, and what an operator can do about it. */
export function programView(root, programId, params) {
  let program = null;
  let etag = null;
  let busy = false;
  let lastFailed = -1;
  let lastStatus = '';
  let lastRecount = 0;
  let recountTimer;
  const actions = new AbortController();

  const title = h('h1', null, programId);
  const meta = h('p', { class: 'meta' });
  const bar = progressBar({ done: 0, failed: 0, pending: 0, total: 0 }, { large: true });
  const barText = h('p', { class: 'progress-text', id: 'progress-text' });
  const facts = h('dl', { class: 'facts' });
  const chartBox = h('div', { class: 'chart-box' });
  const actionStatus = h('p', { class: 'action-status muted', id: 'action-status' });
  const runningHint = h('p', { class: 'muted hint' });

  const button = (label, onclick, extra = {}) => h('button', { type: 'button', onclick, ...extra }, label);
  const retryAll = button('Retry all', () => void retry('all'));
  const retryPre = button('Retry preprocessing', () => void retry('preprocessing'), { class: 'secondary' });
  const retryDoc = button('Retry document', () => void retry('document'), { class: 'secondary' });
  const retrySel = button('Retry selected', () => void retry('all', table.selected()), { id: 'retry-selected' });
  const cancel = button('Cancel program', () => void cancelProgram(), { class: 'danger' });
  const exportCsv = h(
    'a',
    {
      class: 'button secondary',
      href: api.exportHref(programId),
      download: `failures_${programId}.csv`,
      onclick: (event) => {
        // A plain link cannot send the API key: with one, the file is fetched, then saved.
        if (!api.linksNeedKey()) return;
        event.preventDefault();
        api.exportCsv(programId, `failures_${programId}.csv`).catch((e) => notifyError('Exporting the failures', e));
      },
    },
    'Export CSV',
  );

  const table = failuresTable({
    programId,
    stage: params.get('stage') ?? '',
    code: params.get('code') ?? '',
    onChange: () => {
      replaceRoute(['programs', programId], { stage: table.filter.stage, code: table.filter.code });
      updateActions();
    },
  });

  root.replaceChildren(
    h(
      'section',
      { class: 'view' },
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: listHref() }, '← All programs')),
      h('div', { class: 'view-head' }, title, meta),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'progress-heading' },
        h('h2', { id: 'progress-heading' }, 'Progress'),
        bar,
        barText,
        facts,
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'actions-heading' },
        h('h2', { id: 'actions-heading' }, 'Actions'),
        h('div', { class: 'toolbar actions' }, retryAll, retryPre, retryDoc, retrySel, cancel, exportCsv),
        runningHint,
        actionStatus,
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'chart-heading' },
        h('h2', { id: 'chart-heading' }, 'Failures by error code'),
        chartBox,
      ),
      table.el,
    ),
  );

  function render() {
    const c = countsOf(program);
    const m = program.metadata_json ?? {};
    document.title = `${program.name} · Batch ingest console`;
    title.textContent = program.name;
    meta.replaceChildren(
      badge(program.status),
      h('span', { class: 'id' }, program.program_id),
      h('span', null, 'created ', time(program.created_at)),
      h('span', null, 'updated ', time(program.updated_at)),
    );
    updateProgressBar(bar, c);
    barText.textContent = progressText(c);
    const pre = m.preprocessing?.summary ?? {};
    const doc = m.document_storage?.summary ?? {};
    const history = m.retry_history ?? [];
    const lastRetry = history[history.length - 1];
    facts.replaceChildren(
      h('dt', null, 'Preprocessing'),
      h('dd', null, `${fmt(pre.success)} succeeded · ${fmt(pre.failed)} failed of ${fmt(pre.total)}`),
      h('dt', null, 'Document storage'),
      h('dd', null, `${fmt(doc.success)} stored · ${fmt(doc.failed)} failed of ${fmt(doc.total)}`),
      h('dt', null, 'Retry runs'),
      h(
        'dd',
        null,
        fmt(m.retry_history_total ?? history.length),
        lastRetry ? [' · last: ', `${lastRetry.trigger} ${lastRetry.retry_type}, `, time(lastRetry.timestamp)] : '',
      ),
    );
    updateActions();
  }

  function updateActions() {
    if (!program) return;
    const running = RUNNING.has(program.status);
    const m = program.metadata_json ?? {};
    const preFailed = m.preprocessing?.summary?.failed ?? 0;
    const docFailed = m.document_storage?.summary?.failed ?? 0;
    const n = table.selected().length;
    retrySel.textContent = n > 0 ? `Retry selected (${fmt(n)})` : 'Retry selected';
    retryAll.disabled = busy || running || preFailed + docFailed === 0;
    retryPre.disabled = busy || running || preFailed === 0;
    retryDoc.disabled = busy || running || docFailed === 0;
    retrySel.disabled = busy || running || n === 0;
    cancel.disabled = busy || !running;
    runningHint.textContent = running
      ? 'Retries open once the first run has settled; a running program can be cancelled.'
      : '';
  }

  async function poll(signal) {
    let res;
    try {
      res = await api.getProgram(programId, etag, signal);
    } catch (e) {
      if (e?.code === 'PROGRAM_NOT_FOUND' || e?.code === 'INVALID_USER_ID') {
        stop();
        notFound(e);
        return;
      }
      throw e;
    }
    if (res.status === 304) return;
    etag = res.etag;
    program = res.body;
    render();
    const failed = countsOf(program).failed;
    const settledNow = RUNNING.has(lastStatus) && !RUNNING.has(program.status);
    if (failed !== lastFailed || program.status !== lastStatus) {
      lastFailed = failed;
      lastStatus = program.status;
      scheduleRecount(settledNow);
    }
  }

  /** Counts and the current page of failures follow the program, at most every RECOUNT_MS. */
  function scheduleRecount(now) {
    clearTimeout(recountTimer);
    const wait = now ? 0 : Math.max(0, lastRecount + RECOUNT_MS - Date.now());
    recountTimer = setTimeout(() => void recount(), wait);
  }

  async function recount() {
    lastRecount = Date.now();
    try {
      const res = await api.failureCounts(programId, actions.signal);
      const counts = res.body.items;
      table.setCodes(counts);
      const total = program?.total_files ?? 0;
      chartBox.replaceChildren(failureChart(counts, total, { onPick: (b) => table.showCode(b.error_code) }));
    } catch (e) {
      if (!isAbort(e)) notifyError('Counting the failures', e);
    }
    // Only the first page moves under the reader's feet; a later one is theirs until they page.
    if (table.page === 0) await table.load();
  }

  async function retry(retryType, indexes) {
    const what = indexes ? `Retry of ${fmt(indexes.length)} selected files` : `Retry (${retryType})`;
    await act(
      indexes ? retrySel : { all: retryAll, preprocessing: retryPre, document: retryDoc }[retryType],
      'Retrying…',
      async () => {
        try {
          const run = await runRetry(programId, retryType, indexes, {
            signal: actions.signal,
            onUpdate: (r) => {
              const live = r.results ? ` — ${describeRun(r)}` : '';
              actionStatus.textContent = `Retry #${r.retry_id} ${r.status}${live}`;
            },
          });
          if (indexes) table.clearSelection();
          const kind = run.status === 'finished' ? 'success' : 'error';
          notify(kind, `Retry #${run.retry_id} ${run.status}.`, describeRun(run));
        } catch (e) {
          if (!isAbort(e)) notifyError(what, e);
        }
      },
    );
  }

  async function cancelProgram() {
    const ok = await confirmAction({
      title: 'Cancel this program?',
      text: 'Files not yet settled fail with CANCELLED and the program settles as cancelled. A manual retry can take them up later.',
      yes: 'Yes, cancel it',
      no: 'Keep running',
    });
    if (!ok) return;
    await act(cancel, 'Cancelling…', async () => {
      try {
        const res = await api.cancel(programId);
        notify(
          'success',
          `Program ${res.body.status}.`,
          'Unsettled files failed with CANCELLED; retry them when you are ready.',
        );
      } catch (e) {
        if (!isAbort(e)) notifyError('Cancelling the program', e);
      }
    });
  }

  /** Runs an action with its button busy and the others held, then reads the program again. */
  async function act(btn, busyLabel, work) {
    const label = btn.textContent;
    busy = true;
    updateActions();
    btn.textContent = busyLabel;
    btn.setAttribute('aria-busy', 'true');
    try {
      await work();
    } finally {
      busy = false;
      btn.removeAttribute('aria-busy');
      btn.textContent = label;
      actionStatus.textContent = '';
      updateActions();
      if (!actions.signal.aborted) {
        programPoll.now();
        scheduleRecount(true);
      }
    }
  }

  function notFound(e) {
    root.replaceChildren(
      h(
        'section',
        { class: 'view' },
        h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: listHref() }, '← All programs')),
        h('h1', null, 'Program not found'),
        h(
          'p',
          null,
          isAdmin() ? `There is no program ${programId}.` : `No program ${programId} belongs to ${getUser()}.`,
        ),
        h('p', { class: 'muted' }, h('code', null, e.code)),
      ),
    );
  }

  const programPoll = poller(
    poll,
    () => (program && !RUNNING.has(program.status) && !busy ? SETTLED_MS : RUNNING_MS),
    'Reading the program',
  );
  // The table's first page is read with the first failure counts, once the program is known.
  replaceRoute(['programs', programId], { stage: table.filter.stage, code: table.filter.code });

  function stop() {
    programPoll.stop();
    clearTimeout(recountTimer);
    actions.abort();
    table.dispose();
  }
  return { dispose: stop };
}
