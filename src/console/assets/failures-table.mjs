import { api, isAbort } from './api.mjs';
import { failureIndex, failurePath, fmt, h, time } from './dom.mjs';
import { notifyError } from './notice.mjs';
import { routeHref } from './routes.mjs';

// The failed files of a program, one page at a time through the API's cursors: a program of 100,000
// files with as many failures costs one page of rows, never the whole list.

const PAGE = 50;
const STAGES = ['preprocessing', 'document'];

export function failuresTable({ programId, stage = '', code = '', onChange }) {
  const filter = { stage: STAGES.includes(stage) ? stage : '', code };
  // cursors[i] opens page i; the first page needs none.
  let cursors = [null];
  let page = 0;
  let nextCursor = null;
  let rows = [];
  let loading = null;
  const selected = new Set();
  const controller = new AbortController();

  const stageSelect = h(
    'select',
    { id: 'filter-stage', onchange: () => setFilter({ stage: stageSelect.value }) },
    h('option', { value: '' }, 'All stages'),
    STAGES.map((st) => h('option', { value: st, selected: st === filter.stage }, st)),
  );
  const codeSelect = h('select', { id: 'filter-code', onchange: () => setFilter({ code: codeSelect.value }) });
  const range = h('span', { class: 'muted', id: 'failures-range' });
  const pageAll = h('input', {
    type: 'checkbox',
    id: 'select-page',
    onchange: () => {
      for (const box of tbody.querySelectorAll('input[type=checkbox]')) {
        box.checked = pageAll.checked;
        if (pageAll.checked) selected.add(Number(box.value));
        else selected.delete(Number(box.value));
      }
      updateHeader();
      onChange?.();
    },
  });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'failures', id: 'failures-table' },
    h('caption', { class: 'visually-hidden' }, 'Failed files of this program'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h(
          'th',
          { scope: 'col', class: 'col-check' },
          pageAll,
          h('label', { for: 'select-page', class: 'visually-hidden' }, 'Select all on this page'),
        ),
        h('th', { scope: 'col' }, 'File'),
        h('th', { scope: 'col' }, 'Stage'),
        h('th', { scope: 'col' }, 'Error code'),
        h('th', { scope: 'col' }, 'Error'),
        h('th', { scope: 'col' }, 'Retryable'),
        h('th', { scope: 'col', class: 'num' }, 'Retries'),
        h('th', { scope: 'col' }, 'Failed at'),
      ),
    ),
    tbody,
  );
  const prev = h('button', { type: 'button', class: 'secondary', onclick: () => void go(page - 1) }, 'Previous page');
  const next = h('button', { type: 'button', class: 'secondary', onclick: () => void go(page + 1) }, 'Next page');
  const pageLabel = h('span', { class: 'muted' });

  const el = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'failures-heading' },
    h('h2', { id: 'failures-heading' }, 'Failed files'),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { for: 'filter-stage' }, 'Stage'),
      stageSelect,
      h('label', { for: 'filter-code' }, 'Error code'),
      codeSelect,
      range,
    ),
    h('div', { class: 'table-wrap' }, table),
    h('div', { class: 'pager' }, prev, pageLabel, next),
  );
  setCodes([]);

  function setFilter(change) {
    Object.assign(filter, change);
    // A selection is made among the rows in view: rows a new filter hides are not retried unseen.
    selected.clear();
    cursors = [null];
    page = 0;
    onChange?.();
    void load();
  }

  /** The error codes to filter by, from the program's failure counts (kept if one is chosen). */
  function setCodes(counts) {
    const byCode = new Map();
    for (const c of counts) byCode.set(c.error_code, (byCode.get(c.error_code) ?? 0) + c.count);
    if (filter.code && !byCode.has(filter.code)) byCode.set(filter.code, 0);
    const options = [h('option', { value: '' }, 'All error codes')];
    for (const [c, n] of byCode)
      options.push(h('option', { value: c, selected: c === filter.code }, `${c} (${fmt(n)})`));
    const focused = document.activeElement === codeSelect;
    codeSelect.replaceChildren(...options);
    codeSelect.value = filter.code;
    if (focused) codeSelect.focus();
  }

  async function go(target) {
    if (target < 0 || target >= cursors.length) return;
    page = target;
    await load();
  }

  function load() {
    loading?.abort();
    const mine = new AbortController();
    loading = mine;
    const signal = AbortSignal.any([mine.signal, controller.signal]);
    table.setAttribute('aria-busy', 'true');
    return api
      .failures(
        programId,
        { stage: filter.stage, error_code: filter.code, limit: PAGE, cursor: cursors[page] ?? undefined },
        signal,
      )
      .then((res) => {
        rows = res.body.items;
        nextCursor = res.body.next_cursor;
        if (rows.length === 0 && page > 0) {
          // The page emptied (its files were retried): start again from the first one.
          cursors = [null];
          page = 0;
          return load();
        }
        cursors = cursors.slice(0, page + 1);
        if (nextCursor) cursors.push(nextCursor);
        renderRows();
      })
      .catch((e) => {
        if (!isAbort(e)) notifyError('Loading the failed files', e);
      })
      .finally(() => {
        if (loading === mine) {
          loading = null;
          table.removeAttribute('aria-busy');
        }
      });
  }

  function renderRows() {
    if (rows.length === 0) {
      const what = filter.code || filter.stage ? 'No failed files match these filters.' : 'No failed files.';
      tbody.replaceChildren(h('tr', null, h('td', { colspan: 8, class: 'muted empty' }, what)));
    } else {
      tbody.replaceChildren(...rows.map(row));
    }
    const first = page * PAGE + 1;
    range.textContent = rows.length > 0 ? `rows ${fmt(first)}–${fmt(first + rows.length - 1)}` : '';
    pageLabel.textContent = `Page ${fmt(page + 1)}`;
    prev.disabled = page === 0;
    next.disabled = !nextCursor;
    updateHeader();
  }

  function updateHeader() {
    const onPage = rows.filter((r) => selected.has(failureIndex(r))).length;
    pageAll.checked = rows.length > 0 && onPage === rows.length;
    pageAll.indeterminate = onPage > 0 && onPage < rows.length;
    pageAll.disabled = rows.length === 0;
  }

  function row(r) {
    const index = failureIndex(r);
    const id = `select-file-${index}`;
    const box = h('input', {
      type: 'checkbox',
      id,
      value: String(index),
      checked: selected.has(index),
      onchange: () => {
        if (box.checked) selected.add(index);
        else selected.delete(index);
        updateHeader();
        onChange?.();
      },
    });
    const retryable = r.retryable ? (r.exhausted ? 'yes, automatic retries used up' : 'yes') : 'no';
    return h(
      'tr',
      { dataset: { index: String(index), code: r.error_code } },
      h('td', { class: 'col-check' }, box, h('label', { for: id, class: 'visually-hidden' }, `Select file ${index}`)),
      h(
        'td',
        { class: 'col-file' },
        h('a', { href: routeHref(['programs', programId, 'files', index]) }, `#${index}`),
        h('span', { class: 'path', title: failurePath(r) }, failurePath(r)),
      ),
      h('td', null, r.stage),
      h('td', null, h('code', null, r.error_code)),
      h('td', { class: 'col-error', title: r.error }, r.error),
      h('td', null, retryable),
      h('td', { class: 'num' }, fmt(r.retry_count)),
      h('td', null, time(r.timestamp)),
    );
  }

  return {
    el,
    filter,
    load,
    setCodes,
    get page() {
      return page;
    },
    selected: () => [...selected].sort((a, b) => a - b),
    clearSelection() {
      selected.clear();
      renderRows();
      onChange?.();
    },
    showCode(c) {
      codeSelect.value = c;
      setFilter({ code: c });
    },
    dispose: () => controller.abort(),
  };
}
