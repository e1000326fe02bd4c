import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../src/config/app-config';
import { PreprocessingError } from '../../src/preprocessing/errors/preprocessing.error';
import { ExtractionPool } from '../../src/preprocessing/extraction/extraction-pool';
import type { PreprocessTask } from '../../src/preprocessing/extraction/pipeline';
import { hostileTextFiles, textWithControls } from '../factories/hostile-files';

const task = (key: string, bytes: Uint8Array, maxTextChars = 5_000_000): PreprocessTask => ({
  bytes,
  key,
  maxTextChars,
  programId: 'prog_000000000000000000000000',
  sourceIndex: 0,
  sourceFilePath: `s3://sources/${key}`,
});

const outcomeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'success';
  } catch (e) {
    if (e instanceof PreprocessingError) return e.code;
    throw e;
  }
};

/**
 * The worker pool itself (built worker, real threads): every parse of untrusted bytes runs there,
 * a timeout ends the work, and the thread that serves HTTP is never held up by a file.
 */
describe('ExtractionPool', () => {
  const sut = new ExtractionPool(loadConfig({ PROCESSING_CONCURRENCY: '2' }));

  afterAll(async () => {
    await sut.onApplicationShutdown();
  });

  it('terminates an extraction that runs past its time limit and keeps serving', async () => {
    const rows = Array.from({ length: 400_000 }, (_, i) => `${i},"name ${i}","a, quoted, note ${i}"`).join('\n');
    const csv = Buffer.from(`id,name,note\n${rows}`);

    await expect(sut.preprocess(task('huge.csv', csv), AbortSignal.timeout(50))).rejects.toMatchObject({
      name: 'TimeoutError',
    });

    const after = await sut.preprocess(task('ok.txt', Buffer.from('still alive')), AbortSignal.timeout(10_000));
    expect(JSON.parse(Buffer.from(after.json).toString('utf8')).text).toBe('still alive');
  });

  it('reports content problems as classified errors without quoting the file', async () => {
    const err = await sut
      .preprocess(task('bad.json', Buffer.from('{"secret-content": ')), AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreprocessingError);
    expect(err).toMatchObject({ code: 'CORRUPT_FILE', retryable: false });
    expect((err as Error).message).not.toContain('secret-content');
  });

  it('gives back the processed JSON serialised, with the summary the Document stage needs', async () => {
    const out = await sut.preprocess(task('notes/controls.txt', textWithControls()), AbortSignal.timeout(10_000));
    const json = JSON.parse(Buffer.from(out.json).toString('utf8'));
    expect(json.text).toBe('Stray control bytes[0m are removed, the text stays.');
    expect(out.summary).toEqual({
      title: 'controls.txt',
      contentType: 'text/plain',
      characters: json.stats.characters,
      chunkCount: json.chunks.length,
      sha256: json.sha256,
    });
  });

  it('fails text longer than MAX_TEXT_CHARS as TOO_LARGE', async () => {
    const err = await sut
      .preprocess(task('long.txt', Buffer.from('word '.repeat(10_000)), 1_000), AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOO_LARGE', retryable: false });
  });

  // Pathological inputs of about 1 MB each, all at once: each ends within the per-file time limit
  // with a bounded outcome, and the thread that serves HTTP does next to none of the work. That is
  // measured as CPU time counted by the kernel, the main thread's against the rest of the process's
  // threads over the same span, not as event-loop delay or against a fixed number of milliseconds:
  // on a loaded 2-core machine both of those also measure other processes and the collector (191 ms
  // of delay, and 110 ms of main-thread CPU against a usual 10, were seen in CI). Parsed here, the
  // main thread would carry nearly all of the work; handed to the pool it carries a small share.
  it('runs pathological inputs off the main thread, each within the per-file limit', async () => {
    const files = hostileTextFiles();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const cpuBefore = mainThreadCpuMs();
    const allBefore = processCpuMs();
    const outcomes = await Promise.all(
      files.map((f) => outcomeOf(sut.preprocess(task(f.key, f.body), AbortSignal.timeout(60_000)))),
    );
    const mainCpuMs = mainThreadCpuMs() - cpuBefore;
    const otherCpuMs = processCpuMs() - allBefore - mainCpuMs;
    delay.disable();
    const inputMb = files.reduce((n, f) => n + f.body.length, 0) / 1e6;
    console.log(
      `pathological inputs: ${files.length} files, ${inputMb.toFixed(1)} MB; main thread CPU ${mainCpuMs} ms, other threads ${otherCpuMs} ms, ` +
        `event-loop delay max ${(delay.max / 1e6).toFixed(1)} ms`,
    );

    files.forEach((f, i) =>
      expect({ file: f.key, allowed: f.outcomes.includes(outcomes[i]) }).toEqual({ file: f.key, allowed: true }),
    );
    expect(outcomes).not.toContain('TIMEOUT');
    // Handing the bytes over and taking the results back is the main thread's share: about 10 ms
    // against about 900 ms on the extraction threads here.
    expect(otherCpuMs).toBeGreaterThan(0);
    expect(mainCpuMs).toBeLessThan(otherCpuMs / 2);
  });
});

/** CPU time (user + system) the process's main thread has used, in ms, as the kernel counts it. */
const mainThreadCpuMs = (): number => cpuMsOf(`/proc/self/task/${process.pid}/stat`);

/** The same for all of the process's threads together. */
const processCpuMs = (): number => cpuMsOf('/proc/self/stat');

function cpuMsOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 10; // USER_HZ is 100 on Linux
}
