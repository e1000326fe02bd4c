import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessedJson } from '../../common/processed-json';
import { buildProcessedJson } from './pipeline';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');

/** The pipeline, in process, on one fixture of test/fixtures/formats (README: "Structure", "Encodings"). */
async function run(name: string) {
  const bytes = readFileSync(join(FIXTURES, name));
  return buildProcessedJson(
    {
      bytes,
      key: `x/${name}`,
      maxTextChars: 5_000_000,
      programId: 'prog_000000000000000000000000',
      sourceIndex: 0,
      sourceFilePath: `s3://b/x/${name}`,
    },
    new AbortController().signal,
  );
}

async function processed(name: string): Promise<ProcessedJson> {
  const outcome = await run(name);
  if (!outcome.ok) throw new Error(`${name}: ${outcome.code} ${outcome.message}`);
  return JSON.parse(new TextDecoder().decode(outcome.json)) as ProcessedJson;
}

/** Every chunk's text is the slice of the text its code-point offsets name. */
function expectChunksAreSlices(json: ProcessedJson): void {
  const cps = [...json.text];
  for (const c of json.chunks) expect(cps.slice(c.char_start, c.char_end).join('')).toBe(c.text);
}

/**
 * Sections of a structured fixture, in order: the first line of each (its heading, or the text
 * before any heading) and the heading path it carries. Each chunk must carry the path of the
 * section it starts in, and (the sections being over 2,000 characters) every section must have a
 * chunk that starts in it.
 */
function expectSections(json: ProcessedJson, sections: [firstLine: string, path: string[]][]): void {
  const cps = [...json.text];
  let from = 0;
  const starts = sections.map(([firstLine]) => {
    const at = firstLine === '' ? 0 : json.text.indexOf(`\n\n${firstLine}\n`, from) + 2;
    expect({ firstLine, found: at >= from }).toEqual({ firstLine, found: true });
    from = at;
    return [...json.text.slice(0, at)].length;
  });
  expect(starts[0]).toBe(0);
  const sectionOf = (cp: number) => starts.filter((s) => s <= cp).length - 1;
  for (const c of json.chunks) expect(c.heading_path).toEqual(sections[sectionOf(c.char_start)][1]);
  const seen = json.chunks.map((c) => sectionOf(c.char_start));
  expect([...new Set(seen)]).toEqual(sections.map((_, i) => i));
  expect(cps.length).toBeGreaterThan(0);
  expectChunksAreSlices(json);
}

describe('heading_path of chunks, per structured fixture', () => {
  it('structure.md: ATX and setext headings, a code fence that holds no heading', async () => {
    const json = await processed('structure.md');
    expect(json.content_type).toBe('text/markdown');
    expect(json.title).toBe('Guide');
    expect(json.stats.encoding).toBe('utf-8');
    expectSections(json, [
      ['', []],
      ['# Guide', ['Guide']],
      ['## Install', ['Guide', 'Install']],
      ['### From source', ['Guide', 'Install', 'From source']],
      ['## Usage ##', ['Guide', 'Usage']],
      ['Reference', ['Reference']],
      ['Options', ['Reference', 'Options']],
    ]);
    expect(json.text).toContain('```sh\n# a shell comment, not a heading\nnpm install\n```');
    expect(json.chunks.map((c) => c.heading_path)).not.toContainEqual(
      expect.arrayContaining(['# a shell comment, not a heading']),
    );
  });

  it('structure.html: nested headings, table cells and list items in reading order', async () => {
    const json = await processed('structure.html');
    expect(json.content_type).toBe('text/html');
    expect(json.title).toBe('Structure Title');
    expect(json.stats.encoding).toBe('utf-8');
    expectSections(json, [
      ['', []],
      ['Handbook', ['Handbook']],
      ['Policies', ['Handbook', 'Policies']],
      ['Leave', ['Handbook', 'Policies', 'Leave']],
      ['Contacts (updated)', ['Handbook', 'Contacts (updated)']],
      ['Appendix', ['Appendix']],
    ]);
    expect(json.text).toContain('Leave\n\nType | Days\nAnnual | 15\nSick | 10\n\nSentence 1 of the Leave section');
    expect(json.text).toContain('Contacts (updated)\n\n- HR: hr@example.com\n- IT: it@example.com\n\n');
  });

  it('structure.docx: Heading 1/2, a bulleted and a numbered list and a table kept', async () => {
    const json = await processed('structure.docx');
    expect(json.content_type).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(json.title).toBe('Structure DOCX Title');
    expect(json.stats.encoding).toBeUndefined();
    expectSections(json, [
      ['', []],
      ['Project Overview', ['Project Overview']],
      ['Goals', ['Project Overview', 'Goals']],
      ['Schedule', ['Project Overview', 'Schedule']],
      ['Appendix', ['Appendix']],
    ]);
    expect(json.text.startsWith('An introduction before any heading.\n\nProject Overview\n\n')).toBe(true);
    expect(json.text).toContain('Goals\n\n- Fast ingestion\n- Reliable retries\n\nSentence 1 of the Goals section');
    expect(json.text).toContain('Schedule\n\nPhase | Month\nDesign | January\nBuild | February\n\nSentence 1');
    expect(json.text).toContain('Appendix\n\n1. Read the guide\n2. Ask a question\n\nSentence 1 of the Appendix');
  });

  it('gives formats without headings an empty heading_path', async () => {
    for (const name of ['sample.txt', 'sample.csv', 'sample.json']) {
      const json = await processed(name);
      expect(json.chunks.map((c) => c.heading_path)).toEqual(json.chunks.map(() => []));
      expectChunksAreSlices(json);
    }
  });
});

describe('stats.encoding and refusals, per encoding fixture', () => {
  const KOREAN =
    '안녕하세요. 이 문서는 인코딩 시험용 한국어 예문입니다.\n둘째 줄에는 숫자 123과 English 단어가 있습니다.';

  it.each([
    ['korean-utf8.txt', 'utf-8'],
    ['korean-utf8-bom.txt', 'utf-8'],
    ['korean-euc-kr.txt', 'euc-kr'],
    ['korean-utf16le-bom.txt', 'utf-16le'],
    ['korean-utf16be-bom.txt', 'utf-16be'],
    ['korean-utf16le.txt', 'utf-16le'],
    ['korean-utf16be.txt', 'utf-16be'],
  ])('%s is read as %s', async (name, encoding) => {
    const json = await processed(name);
    expect(json.stats.encoding).toBe(encoding);
    expect(json.text).toBe(KOREAN);
    expect(json.chunks.map((c) => c.heading_path)).toEqual([[]]);
    expectChunksAreSlices(json);
  });

  it('korean-cp949.txt, with syllables only CP949 has, is read as cp949', async () => {
    const json = await processed('korean-cp949.txt');
    expect(json.stats.encoding).toBe('cp949');
    expect(json.text).toBe(
      '안녕하세요. 이 문서는 CP949로 저장된 한국어 예문입니다.\n똠방각하와 펲시콜라는 확장 완성형 글자를 시험합니다.',
    );
  });

  it('utf16le-bom.txt and sample.txt report their encodings', async () => {
    expect((await processed('utf16le-bom.txt')).stats.encoding).toBe('utf-16le');
    expect((await processed('sample.txt')).stats.encoding).toBe('utf-8');
    expect((await processed('sample.md')).stats.encoding).toBe('utf-8');
    expect((await processed('sample.html')).stats.encoding).toBe('utf-8');
  });

  it.each([['byte-soup.txt'], ['shift-jis.txt'], ['gb18030.txt'], ['latin1.txt']])(
    '%s fails ENCODING_UNKNOWN (not guessed, never U+FFFD)',
    async (name) => {
      const outcome = await run(name);
      expect(outcome).toMatchObject({ ok: false, code: 'ENCODING_UNKNOWN' });
    },
  );
});
