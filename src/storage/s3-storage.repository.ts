import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
    PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { StorageError } from './storage.errors';

export const S3_CLIENT = Symbol('S3_CLIENT');

export function createS3Client(config: AppConfig, credentials?: { accessKeyId: string; secretAccessKey: string }) {
  return new S3Client({
    region: config.s3.region,
    endpoint: config.s3.endpoint,
    forcePathStyle: config.s3.forcePathStyle,
    credentials,
    // s3rver (and some S3-compatible servers) store aws-chunked framing verbatim; only checksum when required.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

/** Every S3 call of the service goes through here, so error classification lives in one place. */
@Injectable()
export class S3StorageRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(S3StorageRepository.name);

  constructor(
    @Inject(S3_CLIENT) private readonly client: S3Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get outputBucket(): string {
    return this.config.s3.bucket;
  }

  // After every module has drained its in-flight work (onModuleDestroy), not during it.
  onApplicationShutdown(): void {
    this.client.destroy();
  }

  /** Reads a whole object, refusing (without buffering the rest) anything over `maxBytes`. */
  async readObject(
    bucket: string,
    key: string,
    opts: { maxBytes: number; signal?: AbortSignal },
  ): Promise<{ bytes: Buffer; contentType?: string }> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: opts.signal,
      });
      const body = res.Body as Readable | undefined;
      if (!body) return { bytes: Buffer.alloc(0), contentType: res.ContentType };
      if (res.ContentLength !== undefined && res.ContentLength > opts.maxBytes) {
        body.destroy();
        throw new StorageError('too_large', `object is ${res.ContentLength} bytes, over the ${opts.maxBytes} limit`);
      }
      const parts: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > opts.maxBytes) {
          body.destroy();
          throw new StorageError('too_large', `object is over the ${opts.maxBytes} byte limit`);
        }
        parts.push(buf);
      }
      return { bytes: Buffer.concat(parts, size), contentType: res.ContentType };
    } catch (e) {
      throw this.classify(e, `s3://${bucket}/${key}`, opts.signal);
    }
  }

  async putJson(bucket: string, key: string, value: unknown): Promise<void> {
    const body = JSON.stringify(value);
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json; charset=utf-8' }),
      );
    } catch (e) {
      throw this.classify(e, `s3://${bucket}/${key}`);
    }
  }

  /** Reads and parses a JSON object; `undefined` when the object does not exist. */
  async readJson(bucket: string, key: string, maxBytes: number): Promise<{ value: unknown } | { invalid: string } | undefined> {
    let bytes: Buffer;
    try {
      ({ bytes } = await this.readObject(bucket, key, { maxBytes }));
    } catch (e) {
      if (e instanceof StorageError && e.kind === 'not_found') return undefined;
      if (e instanceof StorageError && e.kind === 'too_large') return { invalid: e.message };
      throw e;
    }
    try {
      return { value: JSON.parse(bytes.toString('utf8')) };
    } catch (e) {
      return { invalid: `not valid JSON: ${(e as Error).message}` };
    }
  }

  /** Creates the output bucket when missing: boot must leave it ready for the first program. */
  async ensureBucket(bucket: string): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
      return;
    } catch (e) {
      const err = this.classify(e, `s3://${bucket}`);
      if (err.kind !== 'not_found') throw err;
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: bucket }));
      this.logger.log(`created bucket ${bucket}`);
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw this.classify(e, `s3://${bucket}`);
    }
  }

  async checkBucket(bucket: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
    } catch (e) {
      throw this.classify(e, `s3://${bucket}`, signal);
    }
  }

  private classify(e: unknown, where: string, signal?: AbortSignal): StorageError {
    if (e instanceof StorageError) return e;
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (signal?.aborted || err.name === 'AbortError') return new StorageError('aborted', `${where}: request aborted`);
    const status = err.$metadata?.httpStatusCode;
    if (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.name === 'NoSuchBucket' || status === 404) {
      return new StorageError('not_found', `${where} does not exist`);
    }
    if (status === 403 || err.name === 'AccessDenied') return new StorageError('denied', `${where}: access denied`);
    const detail = e instanceof S3ServiceException ? `${e.name} (HTTP ${status ?? '?'})` : (err.message ?? String(e));
    return new StorageError('unavailable', `${where}: storage unavailable: ${detail}`);
  }
}
