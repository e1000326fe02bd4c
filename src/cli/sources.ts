import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { parseS3Uri } from '../common/processed-json';
import { CliError, EXIT } from './api-client';

/**
 * S3 as configured for the service: the embedded server unless S3_ENDPOINT / S3_EMBEDDED say otherwise.
 * `timeoutMs` bounds connecting and any silence in a transfer, not its length: a large file on a slow
 * link keeps going while bytes move, and a stalled one ends.
 */
export function s3FromEnv(env = process.env, timeoutMs = 30_000): S3Client {
  const embedded = !env.S3_ENDPOINT && env.S3_EMBEDDED !== 'false';
  const endpoint = env.S3_ENDPOINT || (embedded ? `http://127.0.0.1:${env.EMBEDDED_S3_PORT || 4569}` : undefined);
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
      : embedded
        ? { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
        : undefined;
  return new S3Client({
    region: env.S3_REGION || 'us-east-1',
    endpoint,
    forcePathStyle: endpoint !== undefined,
    credentials,
    requestHandler: { connectionTimeout: timeoutMs, socketTimeout: timeoutMs },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

/** Uploads a local folder under a fresh prefix and returns the s3:// paths, in a stable order. */
export async function uploadFolder(s3: S3Client, dir: string, bucket: string, onFile: () => void): Promise<string[]> {
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw new CliError(`${dir} is not a folder`, EXIT.failure);
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: { name?: string }) => {
    if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
  });
  const prefix = `${basename(dir)}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const files = await walk(dir);
  if (files.length === 0) throw new CliError(`${dir} holds no files`, EXIT.failure);
  const limit = pLimit(16);
  return Promise.all(
    files.map((file) =>
      limit(async () => {
        const key = `${prefix}/${relative(dir, file).split(sep).join('/')}`;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file) }));
        onFile();
        return `s3://${bucket}/${key}`;
      }),
    ),
  );
}

/** Every object under an s3://bucket/prefix. */
export async function listPrefix(s3: S3Client, uri: string): Promise<string[]> {
  const parsed = parseS3Uri(uri.endsWith('/') ? `${uri}x` : uri);
  if (!parsed) throw new CliError(`${uri} is not an s3://bucket/prefix`, EXIT.failure);
  const prefix = uri.endsWith('/') ? parsed.key.slice(0, -1) : parsed.key;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: parsed.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key!).filter((k) => !k.endsWith('/')));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (keys.length === 0) throw new CliError(`nothing under ${uri}`, EXIT.failure);
  return keys.map((k) => `s3://${parsed.bucket}/${k}`);
}
