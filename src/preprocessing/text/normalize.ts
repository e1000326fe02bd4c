// Every pattern below is linear in its input: no nested quantifiers, and no quantified run that
// can fail after it and make the engine retry from each position inside the run.
const LINE_BREAKS = /\r\n?|[\u2028\u2029]/g;
// C0 controls except \t and \n (\r is converted before this runs), DEL, C1 controls, and BOMs
// that survive concatenation of files.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFEFF]/g;
const HORIZONTAL_SPACE = /[\t \u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/g;
// After HORIZONTAL_SPACE a space never follows a space, so one space per side is all there is to
// strip. (` *\n *` would mean the same here but is quadratic on a long space run; matching only where
// a space is keeps a text of bare newlines from being rebuilt match by match.)
const SPACE_AROUND_NEWLINE = / \n ?|\n /g;
const BLANK_LINES = /\n{3,}/g;

// UAX #15 stream-safe format: NFC reorders a run of combining marks by insertion sort, which is
// quadratic in the run's length, and no real text has more than 30 in a row. A COMBINING GRAPHEME
// JOINER (itself a mark, but a starter) is put after every 30 so each run NFC sorts stays short.
const MAX_NON_STARTERS = 30;
const CGJ = '\u034F';
// Every character of non-zero combining class is a mark (\p{M}); CGJ already splits runs. The run
// is found with a fixed count and walked with a sticky one-mark pattern: an unbounded quantifier
// over a /u class makes V8 keep one backtrack entry per character and overflow on a long run.
const MARK = `[^\\P{M}${CGJ}]`;

function splitLongMarkRuns(text: string): string {
  const runStart = new RegExp(`${MARK}{${MAX_NON_STARTERS + 1}}`, 'gu');
  const mark = new RegExp(MARK, 'uy');
  let out = '';
  let from = 0;
  for (let found = runStart.exec(text); found; found = runStart.exec(text)) {
    // `u` is where the next mark of the run starts (a failed sticky test resets lastIndex to 0).
    let u = found.index;
    let count = 0;
    mark.lastIndex = u;
    while (mark.test(text)) {
      if (count === MAX_NON_STARTERS) {
        out += text.slice(from, u) + CGJ;
        from = u;
        count = 0;
      }
      count++;
      u = mark.lastIndex;
    }
    runStart.lastIndex = u;
  }
  return from === 0 ? text : out + text.slice(from);
}

export function normalizeText(text: string): string {
  const tidied = text
    .replace(LINE_BREAKS, '\n')
    .replace(CONTROL_CHARS, '')
    .replace(HORIZONTAL_SPACE, ' ')
    .replace(SPACE_AROUND_NEWLINE, '\n')
    .replace(BLANK_LINES, '\n\n')
    .trim();
  // NFC last: removing controls can bring a base letter and a combining mark together, and
  // composing only afterwards keeps the function idempotent.
  return splitLongMarkRuns(tidied).normalize('NFC');
}
