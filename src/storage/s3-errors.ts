import { S3ServiceException } from '@aws-sdk/client-s3';
import { StorageError } from './storage.errors';

/** The parts of an SDK error (an S3ServiceException or a network error) its class depends on. */
export interface S3ErrorShape {
  name?: string;
  code?: string;
  /** AuthorizationHeaderMalformed names the bucket's region in its body. */
  Region?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/** What a call was, for the message and the class of its failure. */
export interface S3CallContext {
  /** `s3://bucket` or `s3://bucket/key`: the caller's own path, safe to store. */
  where: string;
  /** The region the call was signed for. */
  region: string;
  /** The call's bucket is the output bucket: its trouble is the operator's, not the file's. */
  outputBucket: boolean;
  requestTimeoutMs: number;
  /** The call's deadline and the caller's own signal; whichever ended the call decides its class. */
  deadline?: AbortSignal;
  caller?: AbortSignal;
}

// Region names as AWS and S3-compatible servers spell them; anything else in the header is ignored
// (it ends up in signatures and messages).
const REGION_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function header(e: S3ErrorShape, name: string): string | undefined {
  const headers = e.$response?.headers;
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** The bucket's region as S3 named it in a failed answer (x-amz-bucket-region, else the body's Region). */
export function bucketRegionOf(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const err = e as S3ErrorShape;
  const named = header(err, 'x-amz-bucket-region') ?? (typeof err.Region === 'string' ? err.Region : undefined);
  return named !== undefined && REGION_RE.test(named) ? named : undefined;
}

/**
 * The answer says the bucket is not where the request went: a permanent redirect (301, also
 * bodiless to a HEAD), an opt-in region reached from another one, or a signature for the wrong
 * region. Asking the same endpoint again gives the same answer, so none of these is worth a retry.
 */
export function isWrongRegion(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const err = e as S3ErrorShape;
  const status = err.$metadata?.httpStatusCode;
  if (status === 301 || err.name === 'PermanentRedirect' || err.name === 'IllegalLocationConstraintException') {
    return true;
  }
  // Without a region named, a malformed Authorization header is some other fault of the request.
  if (err.name === 'AuthorizationHeaderMalformed') return bucketRegionOf(e) !== undefined;
  // A HEAD has no body to name the error: a 400 naming the bucket's region is the wrong-region one.
  return status === 400 && err.name === 'Unknown' && bucketRegionOf(e) !== undefined;
}

/** Where to make the call again: the bucket's region, when a wrong-region answer names one other than `used`. */
export function redirectRegion(e: unknown, used: string): string | undefined {
  if (!isWrongRegion(e)) return undefined;
  const region = bucketRegionOf(e);
  return region !== undefined && region !== used ? region : undefined;
}

/**
 * One place turns S3 errors into failure classes. Messages name the object (the caller's own path)
 * and the kind of trouble, never an endpoint, address or response body.
 */
export function classifyS3Error(e: unknown, ctx: S3CallContext): StorageError {
  if (e instanceof StorageError) return e;
  const { where } = ctx;
  const err = (e && typeof e === 'object' ? e : {}) as S3ErrorShape;
  if (ctx.caller?.aborted) return new StorageError('aborted', `${where}: request aborted`);
  if (ctx.deadline?.aborted) {
    return new StorageError('unavailable', `${where}: storage did not answer within ${ctx.requestTimeoutMs} ms`);
  }
  if (err.name === 'AbortError') return new StorageError('aborted', `${where}: request aborted`);
  const status = err.$metadata?.httpStatusCode;
  // Written to before it exists (S3_CREATE_BUCKET=false): the operator's to create, not the file's.
  if (ctx.outputBucket && err.name === 'NoSuchBucket') {
    return new StorageError('unavailable', `${where}: the output bucket does not exist`);
  }
  if (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.name === 'NoSuchBucket' || status === 404) {
    return new StorageError('not_found', `${where} does not exist`);
  }
  if (status === 403 || err.name === 'AccessDenied') return new StorageError('denied', `${where}: access denied`);
  if (isWrongRegion(e)) {
    const named = bucketRegionOf(e);
    const said = named && named !== ctx.region ? `S3 says ${named}` : 'S3 did not say where';
    const message = `${where}: the bucket is not in region ${ctx.region} (${said})`;
    // A misplaced output bucket is fixed by setting S3_REGION, after which the same file succeeds.
    return ctx.outputBucket
      ? new StorageError('unavailable', `${message}; check S3_REGION`)
      : new StorageError('wrong_region', message);
  }
  // A network error's message names the endpoint's address; its code (ECONNREFUSED…) says enough.
  const detail =
    e instanceof S3ServiceException
      ? `${safeWord(e.name)} (HTTP ${status ?? '?'})`
      : err.code || err.name
        ? safeWord((err.code || err.name)!)
        : 'network error';
  return new StorageError('unavailable', `${where}: storage unavailable: ${detail}`);
}

/** An error name or code as a bare word: anything else a server put there stays out of records. */
function safeWord(s: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(s) ? s : 'error';
}
