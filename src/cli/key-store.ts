import { Client } from 'pg';
import { mintApiKey } from '../auth/api-key.policy';
import type { ApiKeyRow } from '../auth/api-key.types';
import { databaseConnection } from '../database/connection-options';
import { CliError, EXIT } from './api-client';

/**
 * API keys straight in the service's database (DATABASE_URL): how the first admin key is made,
 * when no key exists yet to ask the service with. The same rows the service writes over
 * POST /v1/admin/keys; only the secret's SHA-256 is stored.
 */

export interface CreatedKey {
  key_id: string;
  user_id: string;
  admin: boolean;
  key: string;
}

const UNDEFINED_TABLE = '42P01';

export async function withDatabase<T>(databaseUrl: string, timeoutMs: number, fn: (db: Client) => Promise<T>) {
  const { options, description } = databaseConnection(databaseUrl);
  const db = new Client({
    ...options,
    application_name: 'batch-ingest-cli',
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
  });
  // A connection lost later surfaces through the failing query; unhandled, it would crash the CLI.
  db.on('error', () => undefined);
  try {
    await db.connect();
  } catch (e) {
    throw new CliError(
      `cannot reach the database at ${description} (${(e as Error).message})`,
      EXIT.unreachable,
      'UNREACHABLE',
    );
  }
  try {
    return await fn(db);
  } catch (e) {
    if ((e as { code?: unknown }).code === UNDEFINED_TABLE) {
      throw new CliError(
        `the database at ${description} has no api_keys table: start the service once (it migrates at boot) ` +
          'or run the migrations, then try again',
        EXIT.failure,
        'NOT_MIGRATED',
      );
    }
    throw e;
  } finally {
    await db.end().catch(() => undefined);
  }
}

export async function createKey(db: Client, userId: string, admin: boolean): Promise<CreatedKey> {
  const minted = mintApiKey();
  await db.query('INSERT INTO api_keys (key_id, user_id, admin, secret_sha256) VALUES ($1, $2, $3, $4)', [
    minted.keyId,
    userId,
    admin,
    minted.secretDigest,
  ]);
  return { key_id: minted.keyId, user_id: userId, admin, key: minted.key };
}

export async function listKeys(db: Client): Promise<ApiKeyRow[]> {
  const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT key_id, user_id, admin, created_by, ${iso('created_at')} AS created_at, ${iso('revoked_at')} AS revoked_at
     FROM api_keys ORDER BY created_at DESC, key_id DESC`,
  );
  return rows;
}

/** False when there is no such key; a revoked key stays revoked since its first revoke. */
export async function revokeKey(db: Client, keyId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE key_id = $1',
    [keyId],
  );
  return (rowCount ?? 0) > 0;
}
