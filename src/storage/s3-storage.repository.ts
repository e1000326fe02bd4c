import {
  BucketLocationConstraint,
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { classifyS3Error, redirectRegion } from './s3-errors';
import { StorageError } from './storage.errors';

export const S3_CLIENT_FACTORY = Symbol('S3_CLIENT_FACTORY');

/** An S3 client signing for `region`, otherwise configured as the service's own. */
export type S3ClientFactory = (region: string) => S3Client;

export function createS3Client(
  config: AppConfig,
  credentials?: { accessKeyId: string; secretAccessKey: string },
  region = config.s3.region,
): S3Client {
  return new S3Client({
    region,
    endpoint: config.s3.endpoint,
    forcePathStyle: config.s3.forcePathStyle,
    credentials,
    // The SDK's own redirect-following swaps the region of the whole client while the redirected
    // call is in flight: concurrent calls to other buckets are then signed for the wrong region, and
    // the client can stay in it. Redirects are followed per bucket by S3StorageRepository instead.
    followRegionRedirects: false,
    // s3rver (and some S3-compatible servers) store aws-chunked framing verbatim; only checksum when required.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    // Per attempt: a connection that never opens, or a socket that goes quiet, fails the attempt.
    // The whole call (all attempts, the body included) has its own deadline, S3_REQUEST_TIMEOUT_MS.
    requestHandler: {
      connectionTimeout: Math.min(config.s3.requestTimeoutMs, CONNECT_TIMEOUT_MS),
      requestTimeout: config.s3.requestTimeoutMs,
      // The SDK's default of 50 sockets would make files in flight beyond 50 queue for a socket
      // behind each other, which at S3's real latency caps PROCESSING_CONCURRENCY at 50.
      httpAgent: { maxSockets: s3Sockets(config) },
      httpsAgent: { maxSockets: s3Sockets(config) },
    },
  });
}

const CONNECT_TIMEOUT_MS = 5_000;
/** Sockets per S3 client: a file holds one S3 call at a time; the rest is for retries and reads. */
const s3Sockets = (config: AppConfig): number => Math.max(50, 2 * config.processing.concurrency);
/** Boot does not wait longer than this for the output bucket when it is not asked to create it. */
const BOOT_CHECK_TIMEOUT_MS = 5_000;
// Bounds on what wrong-region answers can make this process keep: a client per region named, and the
// region of each bucket that answered from elsewhere (the oldest forgotten first).
const MAX_REGION_CLIENTS = 32;
const MAX_REMEMBERED_BUCKETS = 10_000;

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
  /** Clients by signing region; the configured region's is made at once, the others when S3 names them. */
  private readonly clients = new Map<string, S3Client>();
  /** Buckets that answered that they live in another region than S3_REGION, and that region. */
  private readonly bucketRegions = new Map<string, string>();

  constructor(
    @Inject(S3_CLIENT_FACTORY) private readonly makeClient: S3ClientFactory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.clients.set(config.s3.region, makeClient(config.s3.region));
  }

  get outputBucket(): string {
    return this.config.s3.bucket;
  }

  // After every module has drained its in-flight work (onModuleDestroy), not during it.
  onApplicationShutdown(): void {
    for (const client of this.clients.values()) client.destroy();
  }

  private regionOf(bucket: string): string {
    return this.bucketRegions.get(bucket) ?? this.config.s3.region;
  }

  private clientIn(region: string): S3Client | undefined {
    let client = this.clients.get(region);
    if (!client && this.clients.size < MAX_REGION_CLIENTS) {
      client = this.makeClient(region);
      this.clients.set(region, client);
    }
    return client;
  }

  private remember(bucket: string, region: string): void {
    if (this.bucketRegions.get(bucket) === region) return;
    this.bucketRegions.delete(bucket);
    if (this.bucketRegions.size >= MAX_REMEMBERED_BUCKETS) {
      this.bucketRegions.delete(this.bucketRegions.keys().next().value!);
    }
    this.bucketRegions.set(bucket, region);
    const hint = bucket === this.outputBucket ? ' (the output bucket: set S3_REGION to it)' : '';
    this.logger.log(`bucket ${bucket} is in region ${region}; its calls go there${hint}`);
  }

  /**
   * Makes a call in the bucket's region. When S3 answers that the bucket is in a region it names, the
   * call is made once more there and the bucket's region is kept for the next calls (each region has
   * a client of its own, so no other call changes region meanwhile). `call` builds its command
   * afresh: a command object is not sent twice.
   */
  private async inRegion<T>(bucket: string, signal: AbortSignal, call: (client: S3Client) => Promise<T>): Promise<T> {
    const used = this.regionOf(bucket);
    try {
      return await call(this.clientIn(used)!);
    } catch (e) {
      const region = signal.aborted ? undefined : redirectRegion(e, used);
      const client = region === undefined ? undefined : this.clientIn(region);
      if (!client) throw e;
      this.remember(bucket, region!);
      return call(client);
    }
  }

  private classify(e: unknown, bucket: string, where: string, call?: CallSignal): StorageError {
    return classifyS3Error(e, {
      where,
      region: this.regionOf(bucket),
      outputBucket: bucket === this.outputBucket,
      requestTimeoutMs: this.config.s3.requestTimeoutMs,
      deadline: call?.deadline,
      caller: call?.caller,
    });
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
      const res = await this.inRegion(bucket, call.signal, (client) =>
        client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: call.signal }),
      );
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
      throw this.classify(e, bucket, `s3://${bucket}/${key}`, call);
    } finally {
      call.signal.removeEventListener('abort', cut);
    }
  }

  async putBytes(bucket: string, key: string, body: Uint8Array, contentType: string): Promise<void> {
    const call = this.callSignal();
    try {
      await this.inRegion(bucket, call.signal, (client) =>
        client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }), {
          abortSignal: call.signal,
        }),
      );
    } catch (e) {
      throw this.classify(e, bucket, `s3://${bucket}/${key}`, call);
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

  /**
   * At boot: with S3_CREATE_BUCKET the output bucket is created when missing, and boot fails if it
   * cannot be. Without, a missing or unreachable bucket is logged and boot goes on: /health/ready
   * answers 503 until the bucket is there, so no traffic comes meanwhile, and the replica needs no
   * restart once someone creates it.
   */
  async prepareOutputBucket(): Promise<void> {
    const bucket = this.outputBucket;
    if (this.config.s3.createBucket) return this.ensureBucket(bucket);
    try {
      await this.checkBucket(bucket, AbortSignal.timeout(BOOT_CHECK_TIMEOUT_MS));
    } catch (e) {
      this.logger.error(
        `output bucket unusable: ${(e as Error).message}. /health/ready answers 503 until it is ` +
          `(create the bucket, grant this service access, or set S3_CREATE_BUCKET=true)`,
      );
    }
  }

  /** Creates the bucket when missing, in the configured region. */
  async ensureBucket(bucket: string): Promise<void> {
    try {
      const signal = this.callSignal().signal;
      await this.inRegion(bucket, signal, (client) =>
        client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal }),
      );
      return;
    } catch (e) {
      const err = this.classify(e, bucket, `s3://${bucket}`);
      if (err.kind !== 'not_found') throw err;
    }
    const region = this.config.s3.region;
    // Outside us-east-1, S3 refuses a CreateBucket without the region it is meant for.
    const placement = region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint };
    try {
      const command = new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: placement });
      await this.clientIn(region)!.send(command, { abortSignal: this.callSignal().signal });
      this.logger.log(`created bucket ${bucket}`);
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists')
        throw this.classify(e, bucket, `s3://${bucket}`);
    }
  }

  async checkBucket(bucket: string, signal?: AbortSignal): Promise<void> {
    const call = this.callSignal(signal);
    try {
      await this.inRegion(bucket, call.signal, (client) =>
        client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: call.signal }),
      );
    } catch (e) {
      throw this.classify(e, bucket, `s3://${bucket}`, call);
    }
  }
}
