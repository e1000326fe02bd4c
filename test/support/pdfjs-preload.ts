import { transformSync } from '@swc/core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { definePDFJSModule } from 'unpdf';
import { installAllocationGuard } from '../../src/preprocessing/extractors/allocation-budget';

/**
 * unpdf loads pdf.js (one ES module, parser and "fake worker" together) with a dynamic import() on
 * first use, which jest's CommonJS sandbox refuses (it needs --experimental-vm-modules). unpdf takes
 * an already loaded pdf.js through definePDFJSModule: so the spec loads it first, compiled to
 * CommonJS with swc (the compiler jest uses here), into the sandbox's realm, as production loads it
 * into the worker thread's. The allocation guard goes in first, as PdfExtractor does before its own
 * first load. In plain Node, where the extractor runs in production, the import works and nothing of
 * this is needed.
 */
export async function preloadPdfjs(): Promise<void> {
  installAllocationGuard();
  const source = join(dirname(require.resolve('unpdf')), 'pdfjs.mjs');
  const { code } = transformSync(readFileSync(source, 'utf8'), {
    filename: source,
    isModule: true,
    module: { type: 'commonjs' },
    jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'pdfjs-'));
  try {
    const compiled = join(dir, 'pdfjs.cjs');
    writeFileSync(compiled, code);
    // pdf.js must be loaded as CommonJS under jest, from a file written at run time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pdfjs: unknown = require(compiled);
    await definePDFJSModule(() => Promise.resolve(pdfjs as never));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
