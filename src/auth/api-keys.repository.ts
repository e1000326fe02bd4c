import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { isoUtc } from '../database/sql';
import type { ApiKeyRow } from './api-key.types';

export interface KeyCheckRow {
  user_id: string;
  admin: boolean;
  secret_sha256: Buffer;
  revoked: boolean;
}

const LIST_COLUMNS = `key_id, user_id, admin, created_by, ${isoUtc('created_at')} AS created_at,
  ${isoUtc('revoked_at')} AS revoked_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_us`;

/** SQL for api_keys. Every check reads the row: no cache, so a revoke holds at once on every replica. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly em: EntityManager) {}

  async insert(k: {
    keyId: string;
    userId: string;
    admin: boolean;
    secretDigest: Buffer;
    createdBy: string;
  }): Promise<void> {
    await this.em.execute(
      `INSERT INTO api_keys (key_id, user_id, admin, secret_sha256, created_by) VALUES (?, ?, ?, ?, ?)`,
      [k.keyId, k.userId, k.admin, k.secretDigest, k.createdBy],
    );
  }

  async forCheck(keyId: string): Promise<KeyCheckRow | undefined> {
    const rows = await this.em.execute<KeyCheckRow[]>(
      `SELECT user_id, admin, secret_sha256, revoked_at IS NOT NULL AS revoked FROM api_keys WHERE key_id = ?`,
      [keyId],
    );
    return rows[0];
  }

  /** Newest first, keyset on (created_at, key_id); revoked keys included. */
  async page(limit: number, after?: { c: string; k: string }): Promise<(ApiKeyRow & { created_at_us: string })[]> {
    return this.em.execute(
      `SELECT ${LIST_COLUMNS} FROM api_keys
       ${after ? 'WHERE (created_at, key_id) < (?::timestamptz, ?)' : ''}
       ORDER BY created_at DESC, key_id DESC LIMIT ?`,
      after ? [after.c, after.k, limit] : [limit],
    );
  }

  /** Marks the key revoked (once: a second revoke keeps the first time). False when there is no such key. */
  async revoke(keyId: string): Promise<boolean> {
    const rows = await this.em.execute<{ key_id: string }[]>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE key_id = ? RETURNING key_id`,
      [keyId],
    );
    return rows.length > 0;
  }
}
