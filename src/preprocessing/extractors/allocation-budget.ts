import { types } from 'node:util';
import { PreprocessingError } from '../errors/preprocessing.error';

const MiB = 1024 * 1024;

/**
 * ArrayBuffer memory one extraction may add to its thread: 256 MiB.
 *
 * Why a budget of our own: extraction workers run with V8 resourceLimits (384 MB of old-generation
 * heap), but the backing stores of ArrayBuffers and typed arrays live outside the V8 heap, and no
 * Node.js or V8 limit covers them. The parsers keep what they inflate in exactly such buffers:
 * pdf.js's DecodeStream holds a whole decoded stream in one Uint8Array that doubles as it grows,
 * and jszip keeps pako's 16 KiB output chunks of an entry until the entry ends. A few KB of chained
 * /FlateDecode took a worker's process to 4.2 GB of RSS, and a ZIP entry whose declared size lies to
 * 1.1 GB, without the heap limit ever being reached.
 *
 * Not every inflated byte passes through those constructors: pdf.js (5 and later) first inflates
 * /FlateDecode streams with the platform's DecompressionStream, whose output chunks Node allocates
 * itself, and keeps them all until the stream ends. The 2 GiB bomb below took that path to 2.3 GB of
 * RSS (the budget only saw the final copy, which it refused): DecompressionStream is wrapped too,
 * and its output charged chunk by chunk, which errors the stream once over budget (pdf.js then falls
 * back to its own decoder, which the typed-array constructors refuse).
 *
 * Why 256 MiB: the largest legitimate input (MAX_SOURCE_BYTES, 50 MiB) copied twice, plus fonts and
 * decoded content streams, fits with room to spare; a DecodeStream may double to 128 MiB (then
 * holding 64 + 128 MiB) and is refused the next step. A 2 GiB stream then peaks the whole process at
 * about 350 MB of RSS (Node 20; 390 MB on Node 24), under the 600 MB aimed at, one extraction per
 * worker (the pool's default).
 */
export const EXTRACTION_BUFFER_BUDGET_BYTES = 256 * MiB;

// Reading the thread's ArrayBuffer total costs about 20 µs (process.memoryUsage() also reads the RSS):
// done for every allocation of this size or more, and once per this many bytes of smaller ones.
const CHECK_EVERY_BYTES = 1 * MiB;
// Once over budget, a parser that swallows the error (pdf.js skips a broken stream and goes on, with
// the next page's copy of the same bomb) is refused anything but small allocations, so it ends fast.
const AFTER_OVERRUN_MAX_BYTES = 64 * 1024;

interface Scope {
  budget: number;
  overrun?: { requested: number; inUse: number };
}

/** One per realm (globalThis), shared by every copy of this module loaded into it. */
interface GuardState {
  scopes: Set<Scope>;
  /** The thread's ArrayBuffer bytes when the first of the open scopes opened. */
  baseline: number;
  unchecked: number;
  overrun: boolean;
}

const STATE = Symbol.for('batch-ingest.allocation-budget');

const BUFFER_CONSTRUCTORS = ['ArrayBuffer', 'SharedArrayBuffer'] as const;
const TYPED_ARRAY_CONSTRUCTORS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float16Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

// The platform decompressors, whose output Node allocates out of sight of the constructors above.
const STREAM_CONSTRUCTORS = ['DecompressionStream'] as const;

type Constructor = new (...args: unknown[]) => object;
interface TransformController {
  enqueue(chunk: unknown): void;
}
type TransformStreamConstructor = new (transformer: {
  transform(chunk: unknown, controller: TransformController): void;
}) => { readable: unknown; writable: unknown };
interface ReadableLike {
  pipeThrough(transform: { readable: unknown; writable: unknown }): unknown;
}
/** Bytes a `new` with these arguments allocates; undefined when only the result can tell. */
type Sizer = (args: unknown[]) => number | undefined;

function arrayBufferBytes(): number {
  return process.memoryUsage().arrayBuffers;
}

function toIndex(value: unknown): number {
  if (typeof value === 'bigint' || typeof value === 'symbol') return 0;
  const n = Math.trunc(Number(value));
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * Replaces this realm's ArrayBuffer and typed-array constructors with Proxies that charge what they
 * allocate to the open budget (and forward everything, at no charge, while none is open). Done once
 * per realm, on the first extraction rather than at import, so a process that never extracts a PDF
 * or DOCX (the application's main thread: those formats always go to a worker) is left as it was.
 *
 * Parsers look these constructors up on the global object when they allocate (pdf.js, jszip), so
 * one loaded earlier is covered too; one that copied them when it loaded (pako, loaded with jszip) is
 * not refused, but what it allocates is counted at the next check. A Proxy forwards `prototype` and
 * Symbol.hasInstance, so `instanceof` (Buffers included), static methods and subclasses work as
 * before; only `x.constructor === Uint8Array` no longer holds. PdfExtractor calls this before it
 * first loads pdf.js, so that whatever pdf.js keeps of these globals is the guarded ones.
 *
 * DecompressionStream is wrapped the same way: one made while a budget is open has its readable side
 * piped through a TransformStream that charges each output chunk (already allocated, so it is
 * counted rather than refused) and errors the stream, as a refused allocation would throw, once the
 * thread is over budget.
 */
export function installAllocationGuard(): void {
  guardState();
}

function guardState(): GuardState {
  const global = globalThis as Record<string | symbol, unknown>;
  const installed = global[STATE] as GuardState | undefined;
  if (installed) return installed;
  const state: GuardState = { scopes: new Set(), baseline: 0, unchecked: 0, overrun: false };

  const guard = (name: string, sizer: Sizer) => {
    const descriptor = Object.getOwnPropertyDescriptor(global, name);
    const target = descriptor?.value as Constructor | undefined;
    if (typeof target !== 'function') return;
    const proxy: Constructor = new Proxy(target, {
      construct(ctor, args, newTarget) {
        // `new Uint8Array(n)` reaches here with the proxy as newTarget, a subclass's super() with the subclass.
        const constructing = newTarget === proxy ? ctor : newTarget;
        if (state.scopes.size === 0) return Reflect.construct(ctor, args, constructing) as object;
        const bytes = sizer(args);
        if (bytes !== undefined) charge(state, bytes, `new ${name}`);
        const created = Reflect.construct(ctor, args, constructing) as { byteLength?: number };
        // An iterable without a length (a Set, a generator) is sized once it has been copied.
        if (bytes === undefined) charge(state, created.byteLength ?? 0, `new ${name}`);
        return created;
      },
    });
    Object.defineProperty(global, name, { ...descriptor, value: proxy });
  };

  for (const name of BUFFER_CONSTRUCTORS) {
    // A resizable buffer can grow to maxByteLength without another `new`: charged for all of it.
    guard(name, (args) => Math.max(toIndex(args[0]), toIndex((args[1] as { maxByteLength?: unknown })?.maxByteLength)));
  }
  for (const name of TYPED_ARRAY_CONSTRUCTORS) {
    const bytesPerElement = (global[name] as { BYTES_PER_ELEMENT?: number } | undefined)?.BYTES_PER_ELEMENT ?? 1;
    guard(name, ([source]) => {
      if (source === null || source === undefined) return 0;
      if (typeof source !== 'object' && typeof source !== 'function') return toIndex(source) * bytesPerElement;
      if (types.isAnyArrayBuffer(source)) return 0; // a view on memory that exists already
      const length = (source as { length?: unknown }).length;
      return typeof length === 'number' ? toIndex(length) * bytesPerElement : undefined;
    });
  }
  const TransformStreamCtor = global.TransformStream as TransformStreamConstructor | undefined;
  for (const name of STREAM_CONSTRUCTORS) {
    // Node defines its web-stream globals as lazy getters: read through them, replace with a value.
    const descriptor = Object.getOwnPropertyDescriptor(global, name);
    const target = global[name] as Constructor | undefined;
    if (!descriptor || typeof target !== 'function' || typeof TransformStreamCtor !== 'function') continue;
    const proxy: Constructor = new Proxy(target, {
      construct(ctor, args, newTarget) {
        const stream = Reflect.construct(ctor, args, newTarget === proxy ? ctor : newTarget) as {
          readable: ReadableLike;
          writable: unknown;
        };
        if (state.scopes.size === 0) return stream;
        const counter = new TransformStreamCtor({
          transform(chunk, controller) {
            charge(state, (chunk as { byteLength?: number } | null)?.byteLength ?? 0, `${name} output`);
            controller.enqueue(chunk);
          },
        });
        // Same prototype (instanceof, pipeThrough(stream) work); own readable/writable shadow its getters.
        return Object.defineProperties(Object.create(Object.getPrototypeOf(stream) as object) as object, {
          readable: { value: stream.readable.pipeThrough(counter), enumerable: true },
          writable: { value: stream.writable, enumerable: true },
        });
      },
    });
    Object.defineProperty(global, name, {
      value: proxy,
      writable: true,
      configurable: descriptor.configurable,
      enumerable: descriptor.enumerable,
    });
  }
  Object.defineProperty(global, STATE, { value: state });
  return state;
}

/** `what`: the allocation, for the message ("new Uint8Array", "DecompressionStream output"). */
function charge(state: GuardState, bytes: number, what: string): void {
  if (state.overrun && bytes > AFTER_OVERRUN_MAX_BYTES) throw refusal(bytes, what, 'the budget is spent');
  state.unchecked += bytes;
  if (state.unchecked < CHECK_EVERY_BYTES) return;
  state.unchecked = 0;
  const budget = Math.min(...[...state.scopes].map((s) => s.budget));
  const inUse = Math.max(0, arrayBufferBytes() - state.baseline);
  if (inUse + bytes <= budget) return;
  state.overrun = true;
  for (const scope of state.scopes) scope.overrun ??= { requested: bytes, inUse };
  throw refusal(bytes, what, `${inUse} bytes are in use, the budget is ${budget}`);
}

function refusal(bytes: number, what: string, why: string): RangeError {
  return new RangeError(`Array buffer allocation refused: ${what} of ${bytes} bytes (${why})`);
}

/**
 * Runs one extraction (`what`: "PDF", "DOCX") under a budget of ArrayBuffer memory. On every
 * allocation through the global constructors (a check per MiB allocated), the thread's ArrayBuffer
 * total (process.memoryUsage().arrayBuffers, which is per thread) plus the request must stay within
 * its total when the budget opened plus the budget; past that the allocation throws a RangeError
 * inside the parser and, whatever the parser makes of it (pdf.js swallows many errors and goes on),
 * the extraction fails with TOO_LARGE, which is not retryable. Buffers that Node allocates itself
 * (zlib, Buffer.alloc) are not refused, but they are in that total at the next check.
 *
 * Why measured rather than summed: a sum of allocations also counts what has since become garbage
 * (a doubling buffer's old copies, a parser's churn over hundreds of pages), and would refuse large
 * but honest files; the measured total is what the process holds, and V8 collects ArrayBuffers as
 * external memory grows, even within synchronous code. Garbage held when the budget opened and freed
 * later only makes room: the total stays within the bound.
 *
 * Budgets open at the same time in one thread (only outside the worker pool, where a worker runs one
 * extraction at a time) share the earliest baseline and the smallest budget, and an overrun fails
 * them all: the measure is the thread's.
 */
export async function withAllocationBudget<T>(
  what: string,
  run: () => Promise<T>,
  budgetBytes: number = EXTRACTION_BUFFER_BUDGET_BYTES,
): Promise<T> {
  const state = guardState();
  const scope: Scope = { budget: budgetBytes };
  if (state.scopes.size === 0) {
    state.baseline = arrayBufferBytes();
    state.unchecked = 0;
    state.overrun = false;
  }
  state.scopes.add(scope);
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await run() };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    state.scopes.delete(scope);
  }
  if (scope.overrun) {
    throw new PreprocessingError(
      'TOO_LARGE',
      `${what} needs more than the ${budgetBytes / MiB} MiB of buffer memory an extraction may use ` +
        `(refused ${scope.overrun.requested} more bytes with ${scope.overrun.inUse} in use): a decompression bomb?`,
    );
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
