import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../common/auth/constant-time';

/**
 * An API key is `bik_<key_id>_<secret>`: the key id (16 hex digits, not secret, listed to admins)
 * finds the row, the secret (256 random bits, base64url) proves the caller holds the key. Only the
 * secret's SHA-256 is stored: a slow password hash buys nothing for 256 random bits, and a fast one
 * keeps every request's check cheap. The prefix lets secret scanners recognise a leaked key.
 */
export const API_KEY_PREFIX = 'bik';
const KEY_ID_BYTES = 8;
const SECRET_BYTES = 32;
export const KEY_ID_RE = /^[0-9a-f]{16}$/;
const API_KEY_RE = /^bik_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface MintedApiKey {
  keyId: string;
  /** The whole key: shown once, to whoever asked for it, and never stored. */
  key: string;
  /** What is stored: SHA-256 of the secret part. */
  secretDigest: Buffer;
}

export function mintApiKey(): MintedApiKey {
  const keyId = randomBytes(KEY_ID_BYTES).toString('hex');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { keyId, key: `${API_KEY_PREFIX}_${keyId}_${secret}`, secretDigest: sha256(secret) };
}

/** The key's id and secret, or undefined for anything that is not shaped like a key this service makes. */
export function parseApiKey(key: string): { keyId: string; secret: string } | undefined {
  const m = API_KEY_RE.exec(key);
  return m ? { keyId: m[1], secret: m[2] } : undefined;
}

// Stands in for the digest of a key id that has no row: no SHA-256 output is known to be all zeros.
const NO_DIGEST = Buffer.alloc(32);

/**
 * Whether the presented secret is the one whose digest is stored. Both sides are 32-byte digests
 * compared with timingSafeEqual, so the time taken does not depend on how much of the secret
 * matched, nor on its length; an unknown key id costs the same comparison as a known one.
 */
export function secretMatches(presentedSecret: string, storedDigest: Buffer | undefined): boolean {
  const presented = sha256(presentedSecret);
  const known = storedDigest !== undefined && storedDigest.length === presented.length;
  const equal = timingSafeEqual(presented, known ? storedDigest : NO_DIGEST);
  return known && equal;
}
