import { fmt, h, s } from './dom.mjs';

// A horizontal bar chart of a program's failures by error code, drawn as SVG from
// GET …/failures/counts: one bar per stage and code, longest first, coloured by stage. The bars
// say what went wrong and how much; the table under it says the same to whoever cannot see it.

const WIDTH = 720;
const BAR = 22;
const GAP = 8;
const LABEL = 250;
const COUNT = 70;
const MAX_BARS = 12;
const STAGES = ['preprocessing', 'document'];

export function failureChart(counts, total, { onPick } = {}) {
  const failed = counts.reduce((n, c) => n + c.count, 0);
  if (failed === 0) {
    return h('p', { class: 'muted chart-empty' }, 'No failures: every settled file has its Document.');
  }
  let bars = counts.slice(0, MAX_BARS);
  const rest = counts.slice(MAX_BARS);
  if (rest.length > 0) {
    bars = bars.concat({
      stage: 'other',
      error_code: `${rest.length} other codes`,
      count: rest.reduce((n, c) => n + c.count, 0),
    });
  }
  const max = Math.max(...bars.map((b) => b.count));
  const plot = WIDTH - LABEL - COUNT;
  const height = bars.length * (BAR + GAP) + GAP;
  const summary =
    `${fmt(failed)} of ${fmt(total)} files failed. ` +
    bars.map((b) => `${b.error_code} at ${b.stage}: ${fmt(b.count)}`).join('; ') +
    '.';

  const svg = s(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${WIDTH} ${height}`,
      role: 'img',
      'aria-label': summary,
      preserveAspectRatio: 'xMinYMin meet',
    },
    bars.map((b, i) => {
      const y = GAP + i * (BAR + GAP);
      const w = Math.max(2, Math.round((b.count / max) * plot));
      const share = total > 0 ? ` (${((b.count / total) * 100).toFixed(b.count / total < 0.01 ? 2 : 1)}%)` : '';
      const bar = s(
        'g',
        {
          class: ['bar', `bar-${b.stage}`, onPick && b.stage !== 'other' && 'pickable'],
          dataset: { code: b.error_code, stage: b.stage, count: String(b.count) },
        },
        s('title', null, `${b.error_code} (${b.stage}): ${fmt(b.count)} files${share}`),
        s(
          'text',
          { x: LABEL - 10, y: y + BAR / 2, class: 'bar-label', 'text-anchor': 'end', 'dominant-baseline': 'central' },
          b.error_code,
        ),
        s('rect', { x: LABEL, y, width: w, height: BAR, rx: 3 }),
        s(
          'text',
          { x: LABEL + w + 8, y: y + BAR / 2, class: 'bar-count', 'dominant-baseline': 'central' },
          `${fmt(b.count)}${share}`,
        ),
      );
      // A pointer shortcut only: the error code filter of the table does the same from the keyboard.
      if (onPick && b.stage !== 'other') bar.addEventListener('click', () => onPick(b));
      return bar;
    }),
  );

  const legend = h(
    'ul',
    { class: 'legend', 'aria-hidden': 'true' },
    STAGES.filter((st) => bars.some((b) => b.stage === st)).map((st) =>
      h('li', null, h('span', { class: ['swatch', `swatch-${st}`] }), `${st} failure`),
    ),
  );

  const table = h(
    'details',
    { class: 'chart-table' },
    h('summary', null, 'Show the counts as a table'),
    h(
      'table',
      null,
      h('caption', { class: 'visually-hidden' }, 'Failures by stage and error code'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, 'Stage'),
          h('th', { scope: 'col' }, 'Error code'),
          h('th', { scope: 'col', class: 'num' }, 'Files'),
        ),
      ),
      h(
        'tbody',
        null,
        counts.map((c) =>
          h(
            'tr',
            null,
            h('td', null, c.stage),
            h('td', null, h('code', null, c.error_code)),
            h('td', { class: 'num' }, fmt(c.count)),
          ),
        ),
      ),
    ),
  );

  return h('figure', { class: 'chart-figure' }, svg, h('figcaption', null, legend), table);
}
