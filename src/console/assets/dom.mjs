// Small DOM helpers. Everything on screen is built with createElement and textContent, never by
// parsing HTML: file paths and error texts come from outside and must stay text.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h('a', { href, class }, 'text', otherNode). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element, for the charts. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

const numberFormat = new Intl.NumberFormat();
export const fmt = (n) => numberFormat.format(n ?? 0);

const clock = { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
const thisYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', ...clock });
const otherYear = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', ...clock });

/** A <time> showing local time, with the exact UTC instant one hover away. */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  const d = new Date(iso);
  const format = d.getFullYear() === new Date().getFullYear() ? thisYear : otherYear;
  return h('time', { datetime: iso, title: iso, text: format.format(d) });
}

export function duration(fromIso, toIso) {
  if (!fromIso || !toIso) return '—';
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (!(ms >= 0)) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const RUNNING = new Set(['pending', 'processing']);

const STATUS_LABEL = {
  pending: 'pending',
  processing: 'processing',
  completed: 'completed',
  completed_with_failures: 'completed with failures',
  cancelled: 'cancelled',
  aborted: 'aborted',
  done: 'done',
  preprocessing_failed: 'preprocessing failed',
  document_failed: 'document failed',
  succeeded: 'succeeded',
  failed: 'failed',
  running: 'running',
  finished: 'finished',
  interrupted: 'interrupted',
};

/** A status as a word on a coloured badge: the colour helps, the word carries the meaning. */
export function badge(status) {
  return h('span', { class: ['badge', `badge-${status}`], dataset: { status } }, STATUS_LABEL[status] ?? status);
}

/** done / failed / pending of a program, from a list item's counts or from metadata_json. */
export function countsOf(program) {
  if (program.counts) return { ...program.counts, total: program.total_files };
  const m = program.metadata_json ?? {};
  const done = m.total_successful_documents ?? 0;
  const failed = (m.preprocessing?.summary?.failed ?? 0) + (m.document_storage?.summary?.failed ?? 0);
  const total = program.total_files ?? m.total_expected ?? 0;
  return { done, failed, pending: Math.max(0, total - done - failed), total };
}

export function progressText(c) {
  return `${fmt(c.done)} done · ${fmt(c.failed)} failed · ${fmt(c.pending)} pending of ${fmt(c.total)}`;
}

/** A three-part bar (done, failed, pending); its text alternative says the same in words. */
export function progressBar(c, { large = false } = {}) {
  const bar = h('div', { class: ['progress', large && 'progress-large'], role: 'img' });
  updateProgressBar(bar, c);
  return bar;
}

export function updateProgressBar(bar, c) {
  bar.setAttribute('aria-label', progressText(c));
  bar.replaceChildren(
    ...['done', 'failed', 'pending'].map((part) => {
      const seg = h('span', { class: ['seg', `seg-${part}`] });
      // CSSOM, not a style attribute: the page's CSP allows no inline styles.
      seg.style.flexGrow = String(c[part]);
      return seg;
    }),
  );
}

/** Moves focus to a view's heading, so a screen reader announces where a route change led. */
export function focusHeading(root) {
  const heading = root.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

/** Text for the failure table: each row has its failure record, whichever stage it failed in. */
export function failureIndex(r) {
  return r.index ?? r.source_index;
}
export function failurePath(r) {
  return r.file_path ?? r.source_file_path;
}
