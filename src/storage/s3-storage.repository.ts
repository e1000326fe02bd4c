import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
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
    // Per attempt: a connection that never opens, or a socket that goes quiet, fails the attempt.
    // The whole call (all attempts, the body included) has its own deadline, S3_REQUEST_TIMEOUT_MS.
    requestHandler: {
      connectionTimeout: Math.min(config.s3.requestTimeoutMs, CONNECT_TIMEOUT_MS),
      requestTimeout: config.s3.requestTimeoutMs,
    },
  });
}

const CONNECT_TIMEOUT_MS = 5_000;

/** A call's deadline and the caller's own signal: which of them ended the call decides its class. */
interface CallSignal {
  signal: AbortSignal;
  deadline: AbortSignal;
  caller?: AbortSignal;
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

  /**
   * Every call ends by S3_REQUEST_TIMEOUT_MS at the latest (then STORAGE_UNAVAILABLE, retryable), or
   * earlier when the caller's own signal (a per-file timeout, a shutdown) fires.
   */
  private callSignal(caller?: AbortSignal): CallSignal {
    const deadline = AbortSignal.timeout(this.config.s3.requestTimeoutMs);
    return { signal: caller ? AbortSignal.any([caller, deadline]) : deadline, deadline, caller };
  }

  /**
   * Reads a whole object, refusing (without buffering the rest) anything over `maxBytes`. Its
   * SHA-256 is computed as the chunks arrive, a few microseconds per chunk rather than one long
   * pass over a large buffer on the serving thread.
   */
  async readObject(
    bucket: string,
    key: string,
    opts: { maxBytes: number; signal?: AbortSignal },
  ): Promise<{ bytes: Buffer; contentType?: string; sha256: string }> {
    const call = this.callSignal(opts.signal);
    let body: Readable | undefined;
    // The deadline covers the body too: a server that sends headers and then stalls is cut off.
    const cut = () => body?.destroy(new Error('request aborted'));
    call.signal.addEventListener('abort', cut, { once: true });
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: call.signal,
      });
      body = res.Body as Readable | undefined;
      const hash = createHash('sha256');
      if (!body) return { bytes: Buffer.alloc(0), contentType: res.ContentType, sha256: hash.digest('hex') };
      call.signal.throwIfAborted();
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
        hash.update(buf);
        parts.push(buf);
      }
      return { bytes: Buffer.concat(parts, size), contentType: res.ContentType, sha256: hash.digest('hex') };
    } catch (e) {
      throw this.classify(e, `s3://${bucket}/${key}`, call);
    } finally {
      call.signal.removeEventListener('abort', cut);
    }
  }

  async putBytes(bucket: string, key: string, body: Uint8Array, contentType: string): Promise<void> {
    const call = this.callSignal();
    try {
      await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }), {
        abortSignal: call.signal,
      });
    } catch (e) {
      throw this.classify(e, `s3://${bucket}/${key}`, call);
    }
  }

  /** Reads and parses a JSON object; `undefined` when the object does not exist. */
  async readJson(
    bucket: string,
    key: string,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<{ value: unknown } | { invalid: string } | undefined> {
    let bytes: Buffer;
    try {
      ({ bytes } = await this.readObject(bucket, key, { maxBytes, signal }));
    } catch (e) {
      if (e instanceof StorageError && e.kind === 'not_found') return undefined;
      if (e instanceof StorageError && e.kind === 'too_large') return { invalid: e.message };
      throw e;
    }
    try {
      return { value: JSON.parse(bytes.toString('utf8')) };
    } catch {
      // The parser's message quotes the bytes; a failure record never carries file contents.
      return { invalid: 'not valid JSON' };
    }
  }

  /** Creates the output bucket when missing: boot must leave it ready for the first program. */
  async ensureBucket(bucket: string): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: this.callSignal().signal });
      return;
    } catch (e) {
      const err = this.classify(e, `s3://${bucket}`);
      if (err.kind !== 'not_found') throw err;
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: this.callSignal().signal });
      this.logger.log(`created bucket ${bucket}`);
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists')
        throw this.classify(e, `s3://${bucket}`);
    }
  }

  async checkBucket(bucket: string, signal?: AbortSignal): Promise<void> {
    const call = this.callSignal(signal);
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: call.signal });
    } catch (e) {
      throw this.classify(e, `s3://${bucket}`, call);
    }
  }

  /**
   * One place turns S3 errors into failure classes. Messages name the object (the caller's own path)
   * and the kind of trouble, never an endpoint, address or response body.
   */
  private classify(e: unknown, where: string, call?: CallSignal): StorageError {
    if (e instanceof StorageError) return e;
    const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (call?.caller?.aborted) return new StorageError('aborted', `${where}: request aborted`);
    if (call?.deadline.aborted) {
      return new StorageError(
        'unavailable',
        `${where}: storage did not answer within ${this.config.s3.requestTimeoutMs} ms`,
      );
    }
    if (err.name === 'AbortError') return new StorageError('aborted', `${where}: request aborted`);
    const status = err.$metadata?.httpStatusCode;
    if (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.name === 'NoSuchBucket' || status === 404) {
      return new StorageError('not_found', `${where} does not exist`);
    }
    if (status === 403 || err.name === 'AccessDenied') return new StorageError('denied', `${where}: access denied`);
    // A network error's message names the endpoint's address; its code (ECONNREFUSED…) says enough.
    const detail =
      e instanceof S3ServiceException ? `${e.name} (HTTP ${status ?? '?'})` : (err.code ?? err.name ?? 'network error');
    return new StorageError('unavailable', `${where}: storage unavailable: ${safeWord(detail)}`);
  }
}

/** An error name or code as a bare word: anything else a server put there stays out of records. */
function safeWord(s: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(s) ? s : 'error';
}
