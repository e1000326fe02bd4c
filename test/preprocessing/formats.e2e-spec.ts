import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { putObjects } from '../factories/s3-objects';
import { S3FaultProxy } from '../support/s3-proxy';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';

const USER = 'formats-user';
const FIXTURES = join(__dirname, '..', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

async function run(t: TestApp, objects: { key: string; body: Buffer | string }[], extraPaths: string[] = []) {
  const files = [...(await putObjects(t.s3, t.sourceBucket, objects)), ...extraPaths];
  const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'formats', files });
  expect(res.status).toBe(202);
  const program = await finishAndCheck(t, res.body.program_id, USER, files);
  const docs = await request(t.server)
    .get(`/v1/programs/${res.body.program_id}/documents`)
    .query({ user_id: USER, limit: 1000 });
  return { program, files, documents: docs.body.items as Record<string, any>[] };
}

async function processedJson(t: TestApp, s3Path: string): Promise<Record<string, any>> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(s3Path)!;
  const res = await t.s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
  return JSON.parse(await res.Body!.transformToString('utf8'));
}

describe('preprocessing of every supported format, end to end', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('extracts each format with its content type, known text and title', async () => {
    const cases: {
      name: string;
      type: string;
      text: string;
      exact?: boolean;
      title?: string;
      absent?: string;
      pages?: number;
      /** stats.encoding; undefined for formats that are not decoded text (PDF, DOCX). */
      encoding?: string;
      /** The heading_path of each distinct section the chunks start in, in order. */
      headings?: string[][];
    }[] = [
      {
        name: 'sample.txt',
        type: 'text/plain',
        text: 'The quick brown fox jumps over the lazy dog.',
        title: 'sample.txt',
        encoding: 'utf-8',
      },
      {
        name: 'sample.md',
        type: 'text/markdown',
        text: 'This Markdown fixture has a **bold** word',
        title: 'Markdown Title',
        encoding: 'utf-8',
        headings: [['Markdown Title']],
      },
      {
        name: 'sample.html',
        type: 'text/html',
        text: 'The HTML fixture paragraph mentions café & crème.',
        title: 'HTML Title',
        absent: 'CONTENT_MUST_NOT_APPEAR',
        encoding: 'utf-8',
        headings: [['Main Heading']],
      },
      { name: 'sample.csv', type: 'text/csv', text: 'Alice | Seoul | likes tea, not coffee', encoding: 'utf-8' },
      {
        name: 'sample.json',
        type: 'application/json',
        text: 'A JSON fixture for the preprocessing tests.',
        title: 'JSON Title',
        encoding: 'utf-8',
      },
      {
        name: 'sample.pdf',
        type: 'application/pdf',
        text: 'The second page of the PDF fixture says goodbye.',
        title: 'PDF Title',
        pages: 2,
      },
      {
        name: 'sample.docx',
        type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        text: 'The second paragraph has bold text and 한국어.',
        title: 'DOCX Title',
        headings: [[]],
      },
      {
        name: 'korean-cp949.txt',
        type: 'text/plain',
        exact: true,
        text: '안녕하세요. 이 문서는 CP949로 저장된 한국어 예문입니다.\n똠방각하와 펲시콜라는 확장 완성형 글자를 시험합니다.',
        encoding: 'cp949',
      },
      {
        name: 'utf16le-bom.txt',
        type: 'text/plain',
        exact: true,
        text: 'Hello, 세계! This file is UTF-16LE with a BOM.\n한국어와 English가 섞여 있습니다.',
        encoding: 'utf-16le',
      },
      ...[
        ['korean-euc-kr.txt', 'euc-kr'],
        ['korean-utf16be.txt', 'utf-16be'],
      ].map(([name, encoding]) => ({
        name,
        type: 'text/plain',
        exact: true,
        text: '안녕하세요. 이 문서는 인코딩 시험용 한국어 예문입니다.\n둘째 줄에는 숫자 123과 English 단어가 있습니다.',
        encoding,
      })),
      {
        name: 'structure.docx',
        type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        text: 'Schedule\n\nPhase | Month\nDesign | January\nBuild | February',
        title: 'Structure DOCX Title',
        headings: [
          [],
          ['Project Overview'],
          ['Project Overview', 'Goals'],
          ['Project Overview', 'Schedule'],
          ['Appendix'],
        ],
      },
    ];
    const { program, documents } = await run(
      t,
      cases.map((c) => ({ key: `formats/${c.name}`, body: fixture(c.name) })),
    );
    expect(program.status).toBe('completed');
    expect(documents).toHaveLength(cases.length);
    for (const [i, c] of cases.entries()) {
      const doc = documents.find((d) => d.source_index === i)!;
      expect({ name: c.name, type: doc.content_type }).toEqual({ name: c.name, type: c.type });
      const json = await processedJson(t, doc.s3_path);
      expect(json.content_type).toBe(c.type);
      if (c.exact) expect(json.text).toBe(c.text.normalize('NFC'));
      else expect(json.text).toContain(c.text);
      expect(json.text).toBe(json.text.normalize('NFC'));
      // eslint-disable-next-line no-control-regex -- asserts that NUL is absent
      expect(json.text).not.toMatch(/[\u0000\ufeff]/);
      if (c.title) expect(json.title).toBe(c.title);
      if (c.absent) expect(json.text).not.toContain(c.absent);
      if (c.pages) expect(json.stats.pages).toBe(c.pages);
      expect({ name: c.name, encoding: json.stats.encoding }).toEqual({ name: c.name, encoding: c.encoding });
      if (c.headings) {
        const paths = json.chunks.map((chunk: { heading_path: string[] }) => JSON.stringify(chunk.heading_path));
        expect({ name: c.name, headings: [...new Set(paths)].map((p) => JSON.parse(p as string)) }).toEqual({
          name: c.name,
          headings: c.headings,
        });
      }
    }
  });
});

describe('hostile and broken files fail alone, with the right code', () => {
  let t: TestApp;
  let proxy: S3FaultProxy;

  beforeAll(async () => {
    proxy = new S3FaultProxy(process.env.TEST_S3_ENDPOINT!);
    const endpoint = await proxy.start();
    proxy.stall = /\/hang\//;
    t = await startTestApp({
      S3_ENDPOINT: endpoint,
      MAX_SOURCE_BYTES: String(1024 * 1024),
      PREPROCESS_TIMEOUT_MS: '3000',
    });
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.stop();
  });

  it('keeps the good files and classifies each bad one, with memory bounded', async () => {
    const deepJson = '['.repeat(200_000) + ']'.repeat(200_000);
    const objects = [
      { key: 'bad/good-1.txt', body: fixture('sample.txt') },
      { key: 'bad/corrupt.pdf', body: fixture('corrupt.pdf') },
      { key: 'bad/truncated.docx', body: fixture('truncated.docx') },
      { key: 'bad/junk.bin', body: fixture('junk.bin') },
      { key: 'bad/empty.txt', body: fixture('empty.txt') },
      { key: 'bad/oversized.txt', body: Buffer.alloc(3 * 1024 * 1024, 'a') },
      { key: 'bad/zip-bomb.docx', body: fixture('zip-bomb.docx') },
      { key: 'bad/deep.json', body: deepJson },
      { key: 'hang/slow.txt', body: 'this source never finishes arriving' },
      { key: 'bad/good-2.md', body: fixture('sample.md') },
      { key: 'bad/good-3.pdf', body: fixture('sample.pdf') },
    ];
    // Sampled, not process.resourceUsage().maxRSS: that peak may have been set by an earlier test.
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run(t, objects);
    } finally {
      clearInterval(sampler);
    }
    const { program, files } = result;
    const peakGrowthMb = (peak - baseline) / (1024 * 1024);
    // Generous: a zip bomb inflated or a source buffered whole would cost hundreds of MB more.
    expect(peakGrowthMb).toBeLessThan(400);

    expect(program.status).toBe('completed_with_failures');
    expect(program.metadata_json.preprocessing.summary).toEqual({ total: 11, success: 3, failed: 8 });
    expect(program.metadata_json.total_successful_documents).toBe(3);
    const byPath = Object.fromEntries(
      program.metadata_json.preprocessing.failed_files.map((f: any) => [f.file_path.split('/').pop(), f]),
    );
    const expected: Record<string, [string, boolean]> = {
      'corrupt.pdf': ['CORRUPT_FILE', false],
      'truncated.docx': ['CORRUPT_FILE', false],
      'junk.bin': ['UNSUPPORTED_TYPE', false],
      'empty.txt': ['EMPTY_TEXT', false],
      'oversized.txt': ['TOO_LARGE', false],
      'zip-bomb.docx': ['CORRUPT_FILE', false],
      'deep.json': ['CORRUPT_FILE', false],
      'slow.txt': ['TIMEOUT', true],
    };
    for (const [name, [code, retryable]] of Object.entries(expected)) {
      expect({ name, code: byPath[name]?.error_code, retryable: byPath[name]?.retryable }).toEqual({
        name,
        code,
        retryable,
      });
    }
    expect(files).toHaveLength(11);
  });
});
