import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a secret as presented: always 32 bytes, whatever the input's length. */
export const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Compares a presented secret with the expected one in time that does not depend on where they
 * first differ, nor on the presented one's length: both are hashed to fixed-length digests first
 * (timingSafeEqual alone throws on different lengths, and returning early on them would tell how
 * long the secret is).
 */
export function constantTimeEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

/** The token of an `Authorization: Bearer <token>` header; undefined when there is none. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  return m?.[1];
}
