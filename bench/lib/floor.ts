/**
 * The floor: the least work the same storage could do for the same objects — per object the
 * S3 reads and writes the job cannot avoid and one INSERT, with the service's S3 client
 * configuration, a pg.Pool and the same concurrency. No parsing, no bookkeeping.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { Pool } from 'pg';
import { getBytes } from './s3';

export const FLOOR_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS floor_documents (
    id               text PRIMARY KEY,
    program_id       text NOT NULL,
    source_index     integer NOT NULL,
    source_file_path text NOT NULL,
    s3_path          text NOT NULL,
    title            text NOT NULL,
    content_type     text NOT NULL,
    characters       integer NOT NULL,
    chunk_count      integer NOT NULL,
    sha256           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT floor_documents_uq UNIQUE (program_id, source_index)
  )`;

const INSERT = `INSERT INTO floor_documents (id, program_id, source_index, source_file_path, s3_path, title,
  content_type, characters, chunk_count, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;

export interface FloorResult {
  files: number;
  seconds: number;
  filesPerSecond: number;
}

export function parse(path: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(path);
  if (!m) throw new Error(`not an s3 path: ${path}`);
  return { bucket: m[1], key: m[2] };
}

/** A JSON text of exactly `bytes` bytes (ASCII), different per index. */
export function jsonOfSize(index: number, bytes: number): string {
  const head = `{"source_index":${index},"pad":"`;
  const tail = '"}';
  return head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
}

/** Per object: GET the source, PUT a JSON of `jsonBytes`, INSERT one row. */
export async function floorPreprocessAndStore(opts: {
  s3: S3Client;
  pool: Pool;
  runId: string;
  sources: readonly string[];
  outBucket: string;
  jsonBytes: number;
  concurrency: number;
}): Promise<FloorResult> {
  const limit = pLimit(opts.concurrency);
  const started = performance.now();
  await Promise.all(
    opts.sources.map((src, i) =>
      limit(async () => {
        const { bucket, key } = parse(src);
        const bytes = await getBytes(opts.s3, bucket, key);
        const outKey = `floor/${opts.runId}/processed_${i}.json`;
        await opts.s3.send(
          new PutObjectCommand({
            Bucket: opts.outBucket,
            Key: outKey,
            Body: jsonOfSize(i, opts.jsonBytes),
            ContentType: 'application/json; charset=utf-8',
          }),
        );
        await opts.pool.query(INSERT, [
          `floor_${opts.runId}_${i}`,
          opts.runId,
          i,
          src,
          `s3://${opts.outBucket}/${outKey}`,
          `title ${i}`,
          'text/plain',
          bytes.length,
          1,
          '0'.repeat(64),
        ]);
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  return { files: opts.sources.length, seconds, filesPerSecond: opts.sources.length / seconds };
}

/** A Document retry's floor, per file: GET the processed JSON, INSERT one row. */
export async function floorDocumentRetry(opts: {
  s3: S3Client;
  pool: Pool;
  runId: string;
  processed: readonly string[];
  concurrency: number;
}): Promise<FloorResult> {
  const limit = pLimit(opts.concurrency);
  const started = performance.now();
  await Promise.all(
    opts.processed.map((path, i) =>
      limit(async () => {
        const { bucket, key } = parse(path);
        const bytes = await getBytes(opts.s3, bucket, key);
        await opts.pool.query(INSERT, [
          `floor_${opts.runId}_${i}`,
          opts.runId,
          i,
          path,
          path,
          `title ${i}`,
          'text/plain',
          bytes.length,
          1,
          '0'.repeat(64),
        ]);
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  return { files: opts.processed.length, seconds, filesPerSecond: opts.processed.length / seconds };
}
