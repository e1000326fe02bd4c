import type { Request } from 'express';

/**
 * Who is calling, as the identity guard established it: the user whose programs these are, and
 * whether they may read and act on every user's programs. Services and repositories take it and
 * filter by `userId` unless `admin`.
 */
export interface Identity {
  readonly userId: string;
  readonly admin: boolean;
}

// A symbol, not a property name: nothing a client sends (a header, a query, a body) can set it.
const IDENTITY = Symbol('identity');

type WithIdentity = Request & { [IDENTITY]?: Identity };

export function attachIdentity(req: Request, identity: Identity): void {
  (req as WithIdentity)[IDENTITY] = identity;
}

export function identityOf(req: Request): Identity | undefined {
  return (req as WithIdentity)[IDENTITY];
}
