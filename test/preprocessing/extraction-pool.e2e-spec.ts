import { loadConfig } from '../../src/config/app-config';
import { PreprocessingError } from '../../src/preprocessing/errors/preprocessing.error';
import { ExtractionPool } from '../../src/preprocessing/extraction/extraction-pool';

/** The worker pool itself (built worker, real threads): a timeout ends the work, the pool lives on. */
describe('ExtractionPool', () => {
  const sut = new ExtractionPool(loadConfig({ PROCESSING_CONCURRENCY: '2' }));

  afterAll(async () => {
    await sut.onApplicationShutdown();
  });

  it('terminates an extraction that runs past its time limit and keeps serving', async () => {
    const rows = Array.from({ length: 400_000 }, (_, i) => `${i},"name ${i}","a, quoted, note ${i}"`).join('\n');
    const csv = Buffer.from(`id,name,note\n${rows}`);
    const signal = AbortSignal.timeout(50);

    await expect(sut.extract('text/csv', csv, 'huge.csv', signal)).rejects.toMatchObject({ name: 'TimeoutError' });

    const after = await sut.extract('text/plain', Buffer.from('still alive'), 'ok.txt', AbortSignal.timeout(10_000));
    expect(after.text).toBe('still alive');
  });

  it('reports content problems as classified errors, not crashes', async () => {
    const err = await sut
      .extract('application/json', Buffer.from('{"a": '), 'bad.json', AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreprocessingError);
    expect(err).toMatchObject({ code: 'CORRUPT_FILE', retryable: false });
  });
});
