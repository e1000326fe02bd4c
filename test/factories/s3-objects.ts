/**
 * Builders for S3 fixtures of the e2e tests: an S3 client fit for s3rver, buckets, and
 * source files put with bounded concurrency.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  /** Default: process.env.TEST_S3_ENDPOINT (set by the e2e global setup). */
  endpoint?: string;
  /** Default: process.env.TEST_S3_ACCESS_KEY_ID; none at all → AWS SDK default chain. */
  accessKeyId?: string;
  /** Default: process.env.TEST_S3_SECRET_ACCESS_KEY. */
  secretAccessKey?: string;
  /** Default: process.env.TEST_S3_REGION or us-east-1. */
  region?: string;
}

export interface S3ObjectSpec {
  key: string;
  body: string | Buffer | Uint8Array;
  contentType?: string;
}

/**
 * An S3 client for s3rver / MinIO-style endpoints: path-style addressing, and checksums
 * only when required (s3rver stores aws-chunked framing verbatim otherwise).
 */
export function makeS3Client(options: S3ClientOptions = {}): S3Client {
  const endpoint = options.endpoint ?? process.env.TEST_S3_ENDPOINT;
  const accessKeyId = options.accessKeyId ?? process.env.TEST_S3_ACCESS_KEY_ID;
  const secretAccessKey = options.secretAccessKey ?? process.env.TEST_S3_SECRET_ACCESS_KEY;
  const region = options.region ?? process.env.TEST_S3_REGION ?? 'us-east-1';
  return new S3Client({
    ...(endpoint ? { endpoint } : {}),
    region,
    forcePathStyle: true,
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Creates the bucket; one that exists already is fine. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as S3ServiceException | undefined)?.name;
    if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
    throw err;
  }
}

/** `s3://bucket/key` */
export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/**
 * Puts the objects, at most `concurrency` at a time, and answers their `s3://bucket/key`
 * paths in the order given (ready to be a program's `files`).
 */
export async function putObjects(
  s3: S3Client,
  bucket: string,
  objects: readonly S3ObjectSpec[],
  concurrency = 16,
): Promise<string[]> {
  await forEachLimit(objects, concurrency, async (o) => {
    const body = typeof o.body === 'string' ? Buffer.from(o.body, 'utf8') : o.body;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: o.key,
        Body: body,
        ContentLength: body.byteLength,
        ...(o.contentType ? { ContentType: o.contentType } : {}),
      }),
    );
  });
  return objects.map((o) => s3Url(bucket, o.key));
}

const SUBJECTS = [
  'harbour logistics',
  'mountain weather',
  'library archives',
  'river ecology',
  'city transit',
  'solar energy',
  'bread baking',
  'orchestra rehearsal',
  'railway signalling',
  'coastal erosion',
  'bee keeping',
  'glass blowing',
];

/**
 * `n` distinct small source files with deterministic, readable content, cycling through
 * `.txt` (text/plain), `.md` (text/markdown) and `.json` (application/json; an object
 * whose fields are all strings). Keys: `{prefix}/file-00000.txt`, `…-00001.md`, ….
 */
export function textFiles(n: number, prefix = 'sources'): S3ObjectSpec[] {
  const base = prefix.replace(/\/+$/, '');
  const width = Math.max(5, String(Math.max(0, n - 1)).length);
  const files: S3ObjectSpec[] = [];
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(width, '0');
    const subject = SUBJECTS[i % SUBJECTS.length];
    const title = `Note ${id} on ${subject}`;
    const sentences = [
      `This is file number ${i} of the test corpus under ${base}.`,
      `It talks about ${subject} in a few plain sentences.`,
      `The identifier ${base}-${id} makes its content unique.`,
      `Nothing in it is random, so every run builds the same bytes.`,
    ];
    const name = `${base ? `${base}/` : ''}file-${id}`;
    switch (i % 3) {
      case 0:
        files.push({
          key: `${name}.txt`,
          contentType: 'text/plain',
          body: `${title}\n\n${sentences.join(' ')}\n`,
        });
        break;
      case 1:
        files.push({
          key: `${name}.md`,
          contentType: 'text/markdown',
          body:
            `# ${title}\n\n${sentences.slice(0, 2).join(' ')}\n\n` +
            `## Details\n\n- ${sentences[2]}\n- ${sentences[3]}\n`,
        });
        break;
      default:
        files.push({
          key: `${name}.json`,
          contentType: 'application/json',
          body: `${JSON.stringify({ id: `${base}-${id}`, title, subject, body: sentences.join(' ') }, null, 2)}\n`,
        });
    }
  }
  return files;
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  await Promise.all(workers);
}
