import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { Readable } from 'node:stream';
import { log } from './util';

/** The same S3 client configuration as the service's (src/storage/s3-storage.repository.ts). */
export function makeS3Client(endpoint: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw e;
  }
}

export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const parts: Buffer[] = [];
  for await (const chunk of res.Body as Readable) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------
// Source files: ~2 KB of text, .txt / .md / .json in turn, each different.

const WORDS = (
  'program batch ingest document storage failure retry record summary metadata index chunk ' +
  'sentence paragraph source object bucket service worker database transaction lock scheduler ' +
  'backoff attempt processed text title content stats character word page offset boundary ' +
  'normalise encoding unicode extract format markdown heading table column row value field'
).split(' ');

export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export function sentences(rand: () => number, targetChars: number): string[] {
  const out: string[] = [];
  let size = 0;
  while (size < targetChars) {
    const n = 6 + Math.floor(rand() * 12);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(rand() * WORDS.length)]);
    const s = words.join(' ');
    const sentence = s.charAt(0).toUpperCase() + s.slice(1) + '.';
    out.push(sentence);
    size += sentence.length + 1;
  }
  return out;
}

export const EXTENSIONS = ['txt', 'md', 'json'] as const;

export function sourceKey(prefix: string, i: number): string {
  return `${prefix}/file-${String(i).padStart(6, '0')}.${EXTENSIONS[i % EXTENSIONS.length]}`;
}

export function sourceBody(i: number, approxBytes = 2048): { body: string; contentType: string } {
  const rand = prng(i * 2654435761 + 12345);
  const ext = EXTENSIONS[i % EXTENSIONS.length];
  if (ext === 'json') {
    const s = sentences(rand, approxBytes - 200);
    const doc = {
      title: `Bench record ${i}`,
      id: i,
      tags: s.slice(0, 3).map((x) => x.split(' ')[0].toLowerCase()),
      sections: [
        { heading: 'first', body: s.slice(0, Math.ceil(s.length / 2)).join(' ') },
        { heading: 'second', body: s.slice(Math.ceil(s.length / 2)).join(' ') },
      ],
    };
    return { body: JSON.stringify(doc, null, 1), contentType: 'application/json' };
  }
  const s = sentences(rand, approxBytes - 60);
  const paras: string[] = [];
  for (let k = 0; k < s.length; k += 4) paras.push(s.slice(k, k + 4).join(' '));
  if (ext === 'md') {
    return { body: `# Bench document ${i}\n\n## Part one\n\n${paras.join('\n\n')}\n`, contentType: 'text/markdown' };
  }
  return { body: `Bench text ${i}\n\n${paras.join('\n\n')}\n`, contentType: 'text/plain' };
}

/** Uploads files [from, to) under `prefix` with bounded concurrency; returns their s3:// paths. */
export async function uploadSources(
  s3: S3Client,
  bucket: string,
  prefix: string,
  count: number,
  concurrency = 32,
): Promise<{ paths: string[]; bytes: number; seconds: number }> {
  const limit = pLimit(concurrency);
  const started = Date.now();
  let done = 0;
  let bytes = 0;
  let nextReport = Date.now() + 10_000;
  const paths = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      limit(async () => {
        const key = sourceKey(prefix, i);
        const { body, contentType } = sourceBody(i);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
        bytes += Buffer.byteLength(body);
        done++;
        if (Date.now() > nextReport) {
          nextReport = Date.now() + 10_000;
          log(`  uploaded ${done}/${count} to s3://${bucket}/${prefix}/`);
        }
        return `s3://${bucket}/${key}`;
      }),
    ),
  );
  return { paths, bytes, seconds: (Date.now() - started) / 1000 };
}
