import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { putObjects } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';

const USER = 'reuse-user';

/**
 * Same bytes, same work once: within a program, a file whose bytes match a file already processed
 * (by SHA-256, same extractor version) reuses that extraction; its processed JSON is still its own.
 */
describe('reusing the extraction of identical files', () => {
  let t: TestApp;

  beforeAll(async () => {
    // One file at a time, in source order: the first copy is processed before the others look.
    t = await startTestApp({ PROCESSING_CONCURRENCY: '1' });
  });

  afterAll(async () => {
    await t?.close();
  });

  const processed = async (programId: string, index: number) => {
    const res = await t.s3.send(
      new GetObjectCommand({ Bucket: t.bucket, Key: `programs/${programId}/processed_${programId}_${index}.json` }),
    );
    return JSON.parse(await res.Body!.transformToString()) as Record<string, any>;
  };

  it('extracts the first copy, re-stamps the others, and each processed JSON names its own file', async () => {
    const pdf = readFileSync(join(__dirname, '..', 'fixtures', 'formats', 'sample.pdf'));
    const small = '# Quarterly note\n\nThe same archive often holds the same file many times.\n';
    const files = await putObjects(t.s3, t.sourceBucket, [
      { key: 'a/report.pdf', body: pdf },
      { key: 'b/copy-of-report.pdf', body: pdf },
      { key: 'c/other.md', body: '# Another\n\nDifferent bytes.\n' },
      { key: 'd/report-again.pdf', body: pdf },
      // Small text: extracting it again costs less than looking for a copy, so it is not looked for.
      { key: 'e/note.md', body: small },
      { key: 'f/note-again.md', body: small },
    ]);
    const res = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'dups', files });
    const program = await finishAndCheck(t, res.body.program_id, USER, files);
    expect(program.status).toBe('completed');

    const metrics = await request(t.server).get('/metrics');
    expect(metrics.text).toMatch(/^ingest_extractions_reused_total 2$/m);

    const [first, copy, other, again, note, noteAgain] = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => processed(program.program_id, i)),
    );
    for (const [json, index] of [
      [copy, 1],
      [again, 3],
    ] as const) {
      expect(json).toMatchObject({ source_index: index, source_file_path: files[index] });
      expect({
        text: json.text,
        chunks: json.chunks,
        sha256: json.sha256,
        extractor_version: json.extractor_version,
      }).toEqual({
        text: first.text,
        chunks: first.chunks,
        sha256: first.sha256,
        extractor_version: first.extractor_version,
      });
    }
    expect(other.sha256).not.toBe(first.sha256);
    expect(first.chunks[0]).toMatchObject({ page_start: 1 });
    // Extracted twice, to the same result.
    expect(noteAgain).toMatchObject({ source_index: 5, text: note.text, sha256: note.sha256 });
  });
});
