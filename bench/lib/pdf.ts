/**
 * The PDF-heavy scenario: one program of 1,000 generated multi-page PDFs (3 to 8 pages each, a few
 * paragraphs a page, each file different), to compare PDF stacks — run it against another checkout's
 * build with --service-dir. Reported: files/s and pages/s, the service's peak RSS (worker threads
 * included), its CPU per file split between its main thread and its other threads (the extraction
 * workers), and a check of every processed JSON (page count and last page's heading).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { BenchContext, OUTPUT_BUCKET, SOURCE_BUCKET } from './context';
import { getBytes, prng, sentences } from './s3';
import { runProgram, ScenarioResult } from './scenarios';
import { log, round, thousands } from './util';

export const PDF_FILES = 1000;

/** Fixed dates keep the output deterministic (pdfkit's document ID is derived from the info too). */
const FIXED_DATE = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));

/** 3 to 8 pages, in turn (mean 5.5). */
export const pdfPageCount = (i: number): number => 3 + (i % 6);

/** What a page opens with: the check finds the last one in the processed JSON's text. */
const heading = (i: number, page: number, pages: number): string => `Report ${i}, section ${page} of ${pages}`;

/** pdfkit (a dev dependency) has no type declarations here: the little of it used. */
interface PdfKitDocument extends NodeJS.EventEmitter {
  addPage(): this;
  font(name: string): this;
  fontSize(size: number): this;
  text(text: string, options?: object): this;
  moveDown(lines?: number): this;
  bufferedPageRange(): { start: number; count: number };
  end(): void;
}

/**
 * File `i`: A4 pages of Helvetica, each a heading line and four or five paragraphs (about 1,600
 * characters, well within a page, so that every page break is one the generator chose). The same `i`
 * always gives the same bytes; no two files share their text.
 */
export function makePdf(i: number): Promise<Buffer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- pdfkit has no type declarations here
  const PDFDocument = require('pdfkit') as new (options: object) => PdfKitDocument;
  const pages = pdfPageCount(i);
  const rand = prng(i * 2246822519 + 7919);
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      info: { Title: `PDF bench report ${i}`, Author: 'bench', CreationDate: FIXED_DATE, ModDate: FIXED_DATE },
      size: 'A4',
      bufferPages: true,
      autoFirstPage: false,
    });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    for (let page = 1; page <= pages; page++) {
      doc.addPage();
      doc
        .font('Helvetica-Bold')
        .fontSize(16)
        .text(heading(i, page, pages));
      doc.moveDown(0.5);
      const s = sentences(rand, 1600);
      for (let k = 0; k < s.length; k += 4) {
        doc
          .font('Helvetica')
          .fontSize(11)
          .text(s.slice(k, k + 4).join(' '));
        doc.moveDown(0.5);
      }
    }
    const { count } = doc.bufferedPageRange();
    if (count !== pages) {
      reject(new Error(`PDF ${i}: expected ${pages} pages, pdfkit made ${count}`));
      return;
    }
    doc.end();
  });
}

export interface PdfSources {
  paths: string[];
  /** Pages of each file, by index. */
  pages: number[];
  bytes: number;
}

/** Generates the PDFs (in this process, before anything is measured) and uploads them under `prefix`. */
export async function uploadPdfs(ctx: BenchContext, prefix: string, count: number): Promise<PdfSources> {
  log(`generating ${thousands(count)} multi-page PDFs and uploading them to s3://${SOURCE_BUCKET}/${prefix}/`);
  const started = Date.now();
  const limit = pLimit(16);
  let bytes = 0;
  const paths = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      limit(async () => {
        const body = await makePdf(i);
        const key = `${prefix}/report-${String(i).padStart(6, '0')}.pdf`;
        await ctx.s3!.send(
          new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: key, Body: body, ContentType: 'application/pdf' }),
        );
        bytes += body.length;
        return `s3://${SOURCE_BUCKET}/${key}`;
      }),
    ),
  );
  const pages = paths.map((_, i) => pdfPageCount(i));
  const total = pages.reduce((a, b) => a + b, 0);
  log(
    `  ${thousands(count)} PDFs, ${thousands(total)} pages (${round(total / count, 2)} per file), ` +
      `${round(bytes / count / 1024, 1)} KiB each, in ${round((Date.now() - started) / 1000, 1)} s`,
  );
  return { paths, pages, bytes };
}

export interface PdfFigures {
  totalPages: number;
  pagesPerFile: { min: number; mean: number; max: number };
  meanPdfBytes: number;
  pagesPerSecond: number;
  /** Processed JSONs read back after the program (every file's). */
  processedJsonRead: number;
  /** Of those, how many have `stats.pages` equal to the generated page count. */
  pagesMatched: number;
  /** Of those, how many have the last page's heading in their text. */
  lastHeadingFound: number;
  meanProcessedJsonBytes: number;
  /** The service process's CPU per file over the measured span, ms. */
  serviceCpuMsPerFile: number;
  /** Of it, its main thread's (HTTP, SQL, S3, the work loop). */
  mainThreadCpuMsPerFile: number;
  /** Of it, its other threads' (the extraction workers, V8's GC helpers, libuv's pool). */
  otherThreadsCpuMsPerFile: number;
  /** otherThreads ÷ service. */
  otherThreadsShare: number;
}

interface ProcessedJsonLike {
  text?: unknown;
  stats?: { pages?: unknown };
}

/** The program through a fresh service, then every processed JSON checked against its PDF. */
export async function pdfHeavy(ctx: BenchContext, src: PdfSources): Promise<ScenarioResult> {
  const count = src.paths.length;
  const totalPages = src.pages.reduce((a, b) => a + b, 0);
  const result = await runProgram(ctx, {
    id: `pdf_${count}`,
    label: `PDF-heavy ${thousands(count)} (${thousands(totalPages)} pages)`,
    paths: src.paths,
    concurrency: ctx.concurrency,
    pollMs: 50,
    expectAllSucceed: true,
  });

  const programId = String(result.extra.programId);
  log(`PDF-heavy: reading back the ${thousands(count)} processed JSONs (not measured)`);
  const limit = pLimit(16);
  let read = 0;
  let matched = 0;
  let headings = 0;
  let jsonBytes = 0;
  const mismatches: string[] = [];
  await Promise.all(
    src.paths.map((_, i) =>
      limit(async () => {
        let json: ProcessedJsonLike;
        try {
          const bytes = await getBytes(
            ctx.s3!,
            OUTPUT_BUCKET,
            `programs/${programId}/processed_${programId}_${i}.json`,
          );
          jsonBytes += bytes.length;
          json = JSON.parse(bytes.toString('utf8')) as ProcessedJsonLike;
        } catch {
          return; // not there: the program's own outcome already says why
        }
        read++;
        const pages = json.stats?.pages;
        if (pages === src.pages[i]) matched++;
        else if (mismatches.length < 5) mismatches.push(`#${i}: ${String(pages)} pages, generated ${src.pages[i]}`);
        const last = heading(i, src.pages[i], src.pages[i]);
        if (typeof json.text === 'string' && json.text.includes(last)) headings++;
        else if (mismatches.length < 5) mismatches.push(`#${i}: "${last}" not in the text`);
      }),
    ),
  );
  if (read !== count || matched !== count || headings !== count) {
    result.warnings.push(
      `processed JSONs: ${read} of ${count} read, ${matched} with the generated page count, ` +
        `${headings} with the last page's heading${mismatches.length ? ` (${mismatches.join('; ')})` : ''}`,
    );
  }

  const cpu = result.cpu;
  const perFile = (seconds: number) => round((seconds / count) * 1000, 2);
  result.pdf = {
    totalPages,
    pagesPerFile: {
      min: Math.min(...src.pages),
      mean: round(totalPages / count, 2),
      max: Math.max(...src.pages),
    },
    meanPdfBytes: Math.round(src.bytes / count),
    pagesPerSecond: round(totalPages / result.wallSeconds, 1),
    processedJsonRead: read,
    pagesMatched: matched,
    lastHeadingFound: headings,
    meanProcessedJsonBytes: read ? Math.round(jsonBytes / read) : 0,
    serviceCpuMsPerFile: cpu ? perFile(cpu.service) : NaN,
    mainThreadCpuMsPerFile: cpu ? perFile(cpu.serviceMainThread) : NaN,
    otherThreadsCpuMsPerFile: cpu ? perFile(cpu.service - cpu.serviceMainThread) : NaN,
    otherThreadsShare: cpu && cpu.service > 0 ? round((cpu.service - cpu.serviceMainThread) / cpu.service, 2) : NaN,
  };
  log(
    `PDF-heavy: ${result.filesPerSecond} files/s, ${result.pdf.pagesPerSecond} pages/s, peak RSS ` +
      `${result.peakRssHwmMb} MB; service CPU ${result.pdf.serviceCpuMsPerFile} ms/file ` +
      `(${Math.round(result.pdf.otherThreadsShare * 100)} % outside the main thread); ` +
      `${matched}/${count} page counts and ${headings}/${count} last headings as generated`,
  );
  return result;
}
