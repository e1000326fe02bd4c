import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createInflate, createInflateRaw, inflateSync } from 'node:zlib';
import {
  buildDocxBomb,
  buildPdfBomb,
  DOCX_BOMB_DECLARED_BYTES,
  DOCX_BOMB_INFLATED_BYTES,
  PDF_BOMB_INFLATED_BYTES,
} from '../../../test/factories/bombs';
import { EXTRACTION_BUFFER_BUDGET_BYTES } from './allocation-budget';

/**
 * The memory a decompression bomb costs, measured rather than timed: each case runs one extraction in
 * a fresh `node` process, inside a worker thread with the resourceLimits ExtractionPool gives its
 * workers, and reports the process's peak RSS, which no later GC can lower: VmHWM in
 * /proc/self/status where there is one, else getrusage's ru_maxrss. (Linux keeps ru_maxrss across
 * fork and exec, so a child of a jest worker that some earlier suite took to 800 MB reports 800 MB;
 * VmHWM is the new program's own.)
 * The extractors are loaded from their TypeScript source (compiled on the fly by @swc/core, as jest
 * does), so nothing depends on a build being up to date.
 *
 * Without the allocation budget and the DOCX entry checks these files took the process to 4.2 GB
 * (the PDF, after 28 s), 4.2 GB (the PDF with an XMP bomb: the worker then died of its heap limit)
 * and 1.1 GB (the DOCX); such a test has no place in a suite.
 */
const MB = 1000 * 1000;
const MiB = 1024 * 1024;
const MAX_PEAK_RSS = 600 * MB;
// As ExtractionPool gives its workers.
const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 384, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 };

const CHILD = `'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
if (isMainThread) {
  const [swcCore, extractorFile, exportName, inputFile, limits] = process.argv.slice(2);
  const worker = new Worker(__filename, {
    workerData: { swcCore, extractorFile, exportName, inputFile },
    resourceLimits: JSON.parse(limits),
  });
  const peakRssBytes = () => {
    try {
      const hwm = /^VmHWM:\\s*(\\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (hwm) return Number(hwm[1]) * 1024;
    } catch {}
    return process.resourceUsage().maxRSS * 1024;
  };
  const report = (outcome) => {
    process.stdout.write(JSON.stringify({ outcome, maxRssBytes: peakRssBytes() }));
    process.exit(0);
  };
  worker.once('message', report);
  worker.once('error', (e) => report({ ok: false, code: 'WORKER_ERROR', message: String(e.code || e.message) }));
} else {
  const { transformSync } = require(workerData.swcCore);
  require.extensions['.ts'] = (module, filename) => {
    const { code } = transformSync(readFileSync(filename, 'utf8'), {
      filename,
      module: { type: 'commonjs' },
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    });
    module._compile(code, filename);
  };
  const Extractor = require(workerData.extractorFile)[workerData.exportName];
  const input = { bytes: readFileSync(workerData.inputFile), fileName: 'input', maxTextChars: 5000000 };
  new Extractor().extract({ ...input, signal: new AbortController().signal }).then(
    (e) => parentPort.postMessage({ ok: true, text: e.text.slice(0, 100) }),
    (e) => parentPort.postMessage({ ok: false, code: e.code, message: e.message }),
  );
}
`;

/** Inflates as a stream, keeping only the size and the two ends. */
function inflatedShape(data: Buffer, raw: boolean): Promise<{ size: number; head: string; tail: string }> {
  return new Promise((resolve, reject) => {
    const inflate = (raw ? createInflateRaw : createInflate)({ chunkSize: MiB });
    let size = 0;
    let head = '';
    let tail = '';
    inflate.on('data', (chunk: Buffer) => {
      if (size === 0) head = chunk.subarray(0, 300).toString('latin1');
      tail = (tail + chunk.subarray(-100).toString('latin1')).slice(-100);
      size += chunk.length;
    });
    inflate.once('end', () => resolve({ size, head, tail }));
    inflate.once('error', reject);
    inflate.end(data);
  });
}

describe('the bombs of test/factories/bombs.ts', () => {
  /** The bytes of stream object `id` of a PDF the factory wrote. */
  function pdfStream(pdf: Buffer, id: number): Buffer {
    const start = pdf.indexOf(`\n${id} 0 obj\n`);
    const dataStart = pdf.indexOf('stream\n', start) + 'stream\n'.length;
    return pdf.subarray(dataStart, pdf.indexOf('\nendstream', dataStart));
  }

  it('the PDF is a few KB whose content stream inflates, through two zlib layers, to over 2 GiB', async () => {
    const pdf = buildPdfBomb();
    expect(pdf.length).toBeLessThan(4096);
    expect(pdf.toString('latin1')).toContain('/Filter [/FlateDecode /FlateDecode]');
    const { size, head, tail } = await inflatedShape(inflateSync(pdfStream(pdf, 5)), false);
    expect(size).toBe(PDF_BOMB_INFLATED_BYTES);
    expect(size).toBeGreaterThan(2 * 1024 * MiB);
    expect(head).toMatch(/^BT \/F1 12 Tf 72 720 Td \(Decompression bomb\) Tj ET\n {40}/);
    expect(tail).toMatch(/^ +\n$/);
  });

  it('the DOCX declares 4 KiB for word/document.xml, which inflates to over 1 GiB', async () => {
    const docx = buildDocxBomb();
    const name = docx.indexOf('word/document.xml'); // its local header comes first
    const local = name - 30;
    expect(docx.readUInt32LE(local)).toBe(0x04034b50);
    expect(docx.readUInt32LE(local + 22)).toBe(DOCX_BOMB_DECLARED_BYTES);
    const start = name + docx.readUInt16LE(local + 26) + docx.readUInt16LE(local + 28);
    const data = docx.subarray(start, start + docx.readUInt32LE(local + 18));
    const { size, head, tail } = await inflatedShape(data, true);
    expect(size).toBe(DOCX_BOMB_INFLATED_BYTES);
    expect(size).toBeGreaterThan(1024 * MiB);
    expect(head).toMatch(/^<\?xml .*<w:t>A+$/s);
    expect(tail).toMatch(/A<\/w:t><\/w:r><\/w:p><\/w:body><\/w:document>$/);
  });
});

interface Measurement {
  outcome: { ok: true; text: string } | { ok: false; code: string; message: string };
  maxRssBytes: number;
}

describe('decompression bombs: peak memory of one extraction in a worker thread', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bombs-'));
    writeFileSync(join(dir, 'measure.js'), CHILD);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function measure(format: 'pdf' | 'docx', bytes: Buffer): Promise<Measurement> {
    const input = join(dir, `input-${Math.random().toString(36).slice(2)}.${format}`);
    writeFileSync(input, bytes);
    const [extractorFile, exportName] =
      format === 'pdf' ? ['pdf.extractor.ts', 'PdfExtractor'] : ['docx.extractor.ts', 'DocxExtractor'];
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(dir, 'measure.js'),
        require.resolve('@swc/core'),
        join(__dirname, extractorFile),
        exportName,
        input,
        JSON.stringify(WORKER_RESOURCE_LIMITS),
      ],
      { timeout: 120_000 },
    );
    return JSON.parse(stdout) as Measurement;
  }

  // The same process extracting a small, ordinary file: what the runtime and the parser cost anyway.
  let pdfBaseline: Measurement;
  let docxBaseline: Measurement;

  beforeAll(async () => {
    [pdfBaseline, docxBaseline] = await Promise.all([
      measure('pdf', buildPdfBomb({ inflatedBytes: 64 * 1024 })),
      measure('docx', buildDocxBomb({ inflatedBytes: 64 * 1024, declaredBytes: 64 * 1024 })),
    ]);
    expect(pdfBaseline.outcome).toMatchObject({ ok: true, text: expect.stringContaining('Decompression bomb') });
    expect(docxBaseline.outcome).toMatchObject({ ok: true, text: expect.stringMatching(/^A{100}/) });
  });

  /** Peak RSS under MAX_PEAK_RSS, and no more than the budget (and some slack) above the baseline. */
  function expectBounded(m: Measurement, baseline: Measurement): void {
    expect(m.maxRssBytes).toBeLessThan(MAX_PEAK_RSS);
    expect(m.maxRssBytes - baseline.maxRssBytes).toBeLessThan(EXTRACTION_BUFFER_BUDGET_BYTES + 64 * MiB);
  }

  it('PDF: a content stream of chained /FlateDecode that inflates to 2 GiB fails TOO_LARGE', async () => {
    const m = await measure('pdf', buildPdfBomb());
    expect(m.outcome).toMatchObject({ ok: false, code: 'TOO_LARGE' });
    expectBounded(m, pdfBaseline);
  });

  it('PDF: the same with a 2 GiB XMP metadata stream, which pdf.js reads in one go, fails TOO_LARGE', async () => {
    const m = await measure('pdf', buildPdfBomb({ metadataBomb: true }));
    expect(m.outcome).toMatchObject({ ok: false, code: 'TOO_LARGE' });
    expectBounded(m, pdfBaseline);
  });

  it('DOCX: word/document.xml declaring 4 KiB but inflating to 1 GiB fails CORRUPT_FILE', async () => {
    const m = await measure('docx', buildDocxBomb());
    expect(m.outcome).toMatchObject({ ok: false, code: 'CORRUPT_FILE' });
    expectBounded(m, docxBaseline);
  });

  it('DOCX: the same bomb hidden from yauzl behind a decoy is never inflated', async () => {
    const m = await measure('docx', buildDocxBomb({ behindDecoy: true }));
    expect(m.outcome).toMatchObject({ ok: true, text: expect.stringContaining('Decoy') });
    expectBounded(m, docxBaseline);
  });
});
