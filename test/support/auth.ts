import type { Client } from 'pg';
import type { DestinationStream } from 'pino';
import { createKey, type CreatedKey } from '../../src/cli/key-store';

/** An API key made straight in the database, as `batch-ingest keys create` does (no key needed for it). */
export function mintKey(db: Client, userId: string, admin = false): Promise<CreatedKey> {
  return createKey(db, userId, admin);
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** Collects what an app logs (pino JSON lines), for a test that reads its own service's log. */
export function logCapture(): { destination: DestinationStream; text(): string; lines(): Record<string, unknown>[] } {
  const chunks: string[] = [];
  return {
    destination: { write: (chunk: string) => void chunks.push(chunk) },
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
