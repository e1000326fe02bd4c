import JSZip from 'jszip';
import mammoth from 'mammoth';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deflateSync } from 'node:zlib';
import { PreprocessingError } from '../errors/preprocessing.error';
import { EXTRACTION_BUFFER_BUDGET_BYTES, installAllocationGuard, withAllocationBudget } from './allocation-budget';

const MiB = 1024 * 1024;
// Small budgets keep these tests light; the measure is the thread's, so what they allocate on top
// stays far from the budget either way.
const BUDGET = 16 * MiB;

// The measure is the thread's ArrayBuffer total against what it was when the budget opened. Garbage
// left by earlier tests (or suites, in this jest worker) that V8 frees meanwhile lowers it, which
// production may well see but these exact assertions cannot: each test starts after a full GC, and
// after V8's sweeper, which frees backing stores in the background, has had time to.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
async function collectGarbage(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
}

// 64 KiB of zlib; made here, so that the 64 MiB it was made from is collected before any test.
const ZEROS_64_MIB_DEFLATED = deflateSync(Buffer.alloc(64 * MiB));

/** Runs `body` under BUDGET; resolves to what it threw or returned, never rejects. */
async function settle(body: () => unknown, budget = BUDGET): Promise<unknown> {
  return withAllocationBudget('test', async () => body(), budget).catch((e: unknown) => e);
}

describe('withAllocationBudget', () => {
  beforeEach(collectGarbage);

  it('leaves typed arrays, ArrayBuffers and Buffers working as before, inside and outside a budget', async () => {
    installAllocationGuard();
    const check = () => {
      expect(Buffer.from('abc')).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(Buffer.alloc(4))).toBe(true);
      expect(Object.getPrototypeOf(new Uint8Array(4))).toBe(Uint8Array.prototype);
      expect(Uint8Array.from([1, 2, 3])).toEqual(new Uint8Array([1, 2, 3]));
      expect(Uint8Array.BYTES_PER_ELEMENT).toBe(1);
      expect(new Uint8Array(new ArrayBuffer(8), 2, 4)).toHaveLength(4);
      expect(new Float64Array(new Set([1, 2]))).toHaveLength(2);
      expect(ArrayBuffer.isView(new Int32Array(2))).toBe(true);
      class Sub extends Uint8Array {}
      const sub = new Sub(3);
      expect(sub).toBeInstanceOf(Sub);
      expect(sub).toBeInstanceOf(Uint8Array);
      expect(sub).toHaveLength(3);
      // (jest's sandbox gives the outer realm's Uint8Array, hence that realm's TypeError.)
      expect(() => (Uint8Array as unknown as () => unknown)()).toThrow("Constructor Uint8Array requires 'new'");
    };
    check();
    expect(await settle(check)).toBeUndefined();
  });

  it('passes the result, or the error, through when within budget', async () => {
    await expect(withAllocationBudget('test', async () => new Uint8Array(MiB).length, BUDGET)).resolves.toBe(MiB);
    const boom = new Error('boom');
    await expect(withAllocationBudget('test', async () => Promise.reject(boom), BUDGET)).rejects.toBe(boom);
  });

  it('refuses an allocation over budget (RangeError), then fails with TOO_LARGE even if it was swallowed', async () => {
    let inside: unknown;
    const outcome = await settle(() => {
      try {
        new Uint8Array(32 * MiB);
      } catch (e) {
        inside = e;
      }
      // As pdf.js does with a stream that fails: skip it and go on.
      return 'partial text';
    });
    expect(inside).toBeInstanceOf(RangeError);
    expect(outcome).toBeInstanceOf(PreprocessingError);
    expect(outcome).toMatchObject({
      code: 'TOO_LARGE',
      retryable: false,
      message: expect.stringMatching(/^test needs more than the 16 MiB of buffer memory an extraction may use/),
    });
  });

  it.each([
    ['ArrayBuffer', () => new ArrayBuffer(32 * MiB)],
    ['Float64Array by length', () => new Float64Array(4 * MiB)],
    ['a copy of a typed array', (big: Uint8Array) => new Uint16Array(big)],
    ['TypedArray.from an array-like', () => Uint8Array.from({ length: 32 * MiB })],
    ['a subclass', () => new (class extends Uint8Array {})(32 * MiB)],
    [
      'a resizable ArrayBuffer, for its maximum',
      () => new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(0, { maxByteLength: 32 * MiB }),
    ],
  ])('charges %s', async (_, allocate) => {
    // Allocated before the budget opens: only the copy is charged.
    const big = new Uint8Array(10 * MiB);
    await expect(settle(() => allocate(big))).resolves.toMatchObject({ code: 'TOO_LARGE' });
  });

  it('does not charge a view on an existing buffer', async () => {
    const buffer = new ArrayBuffer(32 * MiB);
    expect(await settle(() => new Uint8Array(buffer).length)).toBe(32 * MiB);
  });

  it('counts what is still held: a buffer grown by doubling stops once old and new pass the budget', async () => {
    let largest = 0;
    await settle(() => {
      let buffer = new Uint8Array(512);
      for (;;) {
        const next = new Uint8Array(buffer.length * 2);
        next.set(buffer);
        buffer = next;
        largest = buffer.length;
      }
    }, 64 * MiB);
    expect(largest).toBeGreaterThanOrEqual(16 * MiB);
    expect(largest).toBeLessThan(64 * MiB);
  });

  it('counts what Node allocates itself (Buffer.alloc, zlib) at the next allocation it sees', async () => {
    const outcome = await settle(() => {
      const held = Buffer.alloc(32 * MiB, 1);
      new Uint8Array(MiB);
      return held.length;
    });
    expect(outcome).toMatchObject({ code: 'TOO_LARGE' });
  });

  it('once over budget refuses all but small allocations, until the budget closes', async () => {
    let small: unknown;
    let large: unknown;
    await settle(() => {
      try {
        new Uint8Array(32 * MiB);
      } catch {
        // swallowed, as a parser would
      }
      small = new Uint8Array(1024).length;
      try {
        large = new Uint8Array(128 * 1024);
      } catch (e) {
        large = e;
      }
    });
    expect(small).toBe(1024);
    expect(large).toBeInstanceOf(RangeError);
    expect(new Uint8Array(32 * MiB)).toHaveLength(32 * MiB);
    expect(await settle(() => new Uint8Array(MiB).length)).toBe(MiB);
  });

  it('charges what a DecompressionStream inflates, erroring the stream once over budget', async () => {
    let inflated = 0;
    let streamError: unknown;
    const outcome = await settle(async () => {
      const stream = new DecompressionStream('deflate');
      expect(stream).toBeInstanceOf(DecompressionStream);
      const writer = stream.writable.getWriter();
      void writer
        .write(ZEROS_64_MIB_DEFLATED)
        .then(() => writer.close())
        .catch(() => undefined);
      // As pdf.js does: every chunk kept until the stream ends.
      const chunks: Uint8Array[] = [];
      const reader = stream.readable.getReader();
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          chunks.push(r.value);
          inflated += r.value.byteLength;
        }
      } catch (e) {
        streamError = e;
      }
    });
    expect(streamError).toBeInstanceOf(RangeError);
    expect(inflated).toBeGreaterThan(0);
    expect(inflated).toBeLessThan(32 * MiB);
    expect(outcome).toMatchObject({ code: 'TOO_LARGE' });
  });

  it('leaves DecompressionStream working as before, inside and outside a budget', async () => {
    installAllocationGuard();
    const text = 'inflate me '.repeat(1000);
    const inflate = async () => {
      const chunks: Uint8Array[] = [];
      const readable = new Blob([deflateSync(text)]).stream().pipeThrough(new DecompressionStream('deflate'));
      const reader = readable.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
      return Buffer.concat(chunks).toString('utf8');
    };
    expect(await inflate()).toBe(text);
    expect(await settle(inflate)).toBe(text);
  });

  it('turns a refusal inside jszip (as mammoth drives it) into TOO_LARGE, not an uncaught exception', async () => {
    const zip = new JSZip();
    zip.file('_rels/.rels', '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>');
    zip.file('word/document.xml', 'A'.repeat(4 * MiB));
    const docx = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    await expect(
      withAllocationBudget('DOCX', () => mammoth.extractRawText({ buffer: docx }), 2 * MiB),
    ).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });

  it('has a 256 MiB default', () => {
    expect(EXTRACTION_BUFFER_BUDGET_BYTES).toBe(256 * MiB);
  });
});
