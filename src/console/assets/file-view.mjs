import { api, isAbort } from './api.mjs';
import { badge, duration, fmt, h, time } from './dom.mjs';
import { notify, notifyError } from './notice.mjs';
import { poller } from './poll.mjs';
import { describeRun, runRetry } from './retry.mjs';
import { listHref, routeHref } from './routes.mjs';

const UNSETTLED = new Set(['pending', 'processing']);

/** One file's story: where it stands now and every attempt ever made at it, oldest first. */
export function fileView(root, programId, index) {
  let story = null;
  const actions = new AbortController();
  const title = h('h1', null, `File #${index}`);
  const path = h('p', { class: 'path-line' });
  const facts = h('dl', { class: 'facts' });
  const attemptsHeading = h('h2', { id: 'attempts-heading' }, 'Attempts');
  const attempts = h('tbody');
  const retryButton = h('button', { type: 'button', hidden: true, onclick: () => void retryFile() }, 'Retry this file');
  const actionStatus = h('p', { class: 'action-status muted' });

  root.replaceChildren(
    h(
      'section',
      { class: 'view' },
      h(
        'nav',
        { class: 'crumbs', 'aria-label': 'Breadcrumb' },
        h('a', { href: listHref() }, 'All programs'),
        ' / ',
        h('a', { href: routeHref(['programs', programId]), id: 'back-to-program' }, programId),
      ),
      h('div', { class: 'view-head' }, title, path),
      h(
        'section',
        { class: 'panel', 'aria-label': 'Where the file stands' },
        facts,
        h('div', { class: 'toolbar' }, retryButton),
        actionStatus,
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'attempts-heading' },
        attemptsHeading,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'attempts', id: 'attempts-table' },
            h('caption', { class: 'visually-hidden' }, 'Every attempt at this file, oldest first'),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Attempt', 'Trigger', 'Stage', 'Outcome', 'Error code', 'Error', 'Started', 'Took'].map((c) =>
                  h('th', { scope: 'col' }, c),
                ),
              ),
            ),
            attempts,
          ),
        ),
      ),
    ),
  );

  function render() {
    const s = story;
    path.replaceChildren(h('code', null, s.file_path));
    const fact = (label, value) => [h('dt', null, label), h('dd', null, value ?? h('span', { class: 'muted' }, '—'))];
    const failed = s.state === 'preprocessing_failed' || s.state === 'document_failed';
    facts.replaceChildren(
      ...fact('State', badge(s.state)),
      ...(failed
        ? [
            ...fact('Failed at stage', s.stage),
            ...fact('Error code', h('code', null, s.error_code)),
            ...fact('Error', s.error),
            ...fact('Retryable', s.retryable ? 'yes' : 'no'),
            ...fact('Automatic retries used up', s.exhausted ? 'yes' : 'no'),
            ...fact('Next automatic retry', s.next_retry_at ? time(s.next_retry_at) : null),
            ...fact('Failed at', time(s.timestamp)),
          ]
        : []),
      ...fact('Retries so far', fmt(s.retry_count)),
      ...fact('Document', s.document_id ? h('code', null, s.document_id) : null),
      ...fact('Processed JSON', s.s3_path ? h('code', null, s.s3_path) : null),
    );
    retryButton.hidden = !failed;
    attemptsHeading.textContent = `Attempts (${fmt(s.attempts.length)})`;
    attempts.replaceChildren(
      ...(s.attempts.length === 0
        ? [h('tr', null, h('td', { colspan: 8, class: 'muted empty' }, 'No attempt has finished yet.'))]
        : s.attempts.map((a) =>
            h(
              'tr',
              { dataset: { outcome: a.outcome } },
              h('td', null, fmt(a.attempt)),
              h('td', null, a.trigger),
              h('td', null, a.stage),
              h('td', null, badge(a.outcome)),
              h('td', null, a.error_code ? h('code', null, a.error_code) : '—'),
              h('td', { class: 'col-error' }, a.error ?? '—'),
              h('td', null, time(a.started_at)),
              h('td', null, duration(a.started_at, a.finished_at)),
            ),
          )),
    );
  }

  async function load(signal) {
    try {
      story = (await api.fileStory(programId, index, signal)).body;
    } catch (e) {
      if (['FILE_NOT_FOUND', 'PROGRAM_NOT_FOUND', 'INVALID_INDEX'].includes(e?.code)) {
        poll.stop();
        title.textContent = `File #${index} not found`;
        facts.replaceChildren(h('p', null, e.message, ' ', h('code', null, e.code)));
        return;
      }
      throw e;
    }
    render();
  }

  async function retryFile() {
    retryButton.disabled = true;
    retryButton.setAttribute('aria-busy', 'true');
    try {
      const run = await runRetry(programId, 'all', [Number(index)], {
        signal: actions.signal,
        onUpdate: (r) => (actionStatus.textContent = `Retry #${r.retry_id} ${r.status}`),
      });
      notify(
        run.status === 'finished' ? 'success' : 'error',
        `Retry #${run.retry_id} ${run.status}.`,
        describeRun(run),
      );
    } catch (e) {
      if (!isAbort(e)) notifyError('Retrying this file', e);
    } finally {
      retryButton.disabled = false;
      retryButton.removeAttribute('aria-busy');
      actionStatus.textContent = '';
      if (!actions.signal.aborted) poll.now();
    }
  }

  // A file on its way is asked for every second; a settled one only changes when someone retries it.
  const poll = poller(load, () => (story && !UNSETTLED.has(story.state) ? 5000 : 1000), 'Reading the file');
  return {
    dispose() {
      poll.stop();
      actions.abort();
    },
  };
}
