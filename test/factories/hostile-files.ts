/**
 * Small files that attack the parsers rather than the service's API: output far larger than the
 * input, regexes that backtrack, nesting that recurses, text that composes slowly. Each is built in
 * memory (no fixture file) and is at most about 1 MB, so any cost they cause is the parser's.
 */
export interface HostileFile {
  key: string;
  body: Buffer;
  /** The failure codes this file may end with; `success` means it may also be processed normally. */
  outcomes: readonly string[];
}

const MiB = 1024 * 1024;

/** ~20 KB of JSON whose "path: value" lines add up to tens of millions of characters. */
export function amplifyingJson(): Buffer {
  let value: unknown = Array.from({ length: 5_000 }, () => 0);
  for (let depth = 0; depth < 40; depth++) value = { [`k${depth}`.padEnd(200, 'x')]: value };
  return Buffer.from(JSON.stringify(value));
}

/** One quoted CSV cell of 1 MB of spaces between two letters: quadratic for `\s*[\r\n]+\s*`. */
export function quadraticCsv(): Buffer {
  return Buffer.from(`id,note\n1,"a${' '.repeat(MiB)}b"\n2,ok\n`);
}

/** `# # # …` for 1 MB on one line: quadratic for a lazy heading regex with a trailing `[ #]*$`. */
export function quadraticMarkdown(): Buffer {
  return Buffer.from(`${'# '.repeat(MiB / 2)}\n\nbody text\n`);
}

/** A single line of 40,000 decomposed pairs (base letter + combining mark) and 40,000 NFD Hangul syllables. */
export function nfdLine(): Buffer {
  const latin = 'e\u0301'.repeat(40_000);
  const hangul = '한글'.normalize('NFD').repeat(20_000);
  return Buffer.from(`${latin} ${hangul}\n`);
}

export function deepHtml(depth = 100_000): Buffer {
  return Buffer.from(`<html><body>${'<div>'.repeat(depth)}deep${'</div>'.repeat(depth)}</body></html>`);
}

export function deepJson(depth = 200_000): Buffer {
  return Buffer.from('['.repeat(depth) + ']'.repeat(depth));
}

/** A .txt that is ordinary UTF-8 apart from stray control bytes (NUL, BEL, ESC). */
export function textWithControls(): Buffer {
  return Buffer.from('Stray\u0000 control\u0007 bytes\u001b[0m are removed, the text stays.\n', 'utf8');
}

/** The text-format attacks, each with the outcomes it may end with. */
export function hostileTextFiles(): HostileFile[] {
  return [
    { key: 'hostile/amplifying.json', body: amplifyingJson(), outcomes: ['TOO_LARGE'] },
    { key: 'hostile/quadratic.csv', body: quadraticCsv(), outcomes: ['success'] },
    { key: 'hostile/quadratic.md', body: quadraticMarkdown(), outcomes: ['success'] },
    { key: 'hostile/nfd-line.txt', body: nfdLine(), outcomes: ['success'] },
    { key: 'hostile/deep.html', body: deepHtml(), outcomes: ['success', 'CORRUPT_FILE'] },
    { key: 'hostile/deep.json', body: deepJson(), outcomes: ['CORRUPT_FILE'] },
  ];
}
