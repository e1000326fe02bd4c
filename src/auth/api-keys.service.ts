import { Injectable, Logger } from '@nestjs/common';
import type { Identity } from '../common/auth/identity';
import { AdminRequiredError } from '../common/errors/auth.errors';
import { isCursorTimestamp, decodeCursor, encodeCursor, type Page } from '../common/paging/cursor';
import { KEY_ID_RE, mintApiKey, parseApiKey, secretMatches } from './api-key.policy';
import type { ApiKeyRow } from './api-key.types';
import { ApiKeysRepository } from './api-keys.repository';
import type { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { KeyNotFoundError } from './errors/auth.errors';

const isKeyCursor = (v: Record<string, unknown>): v is { c: string; k: string } =>
  typeof v.c === 'string' && typeof v.k === 'string' && isCursorTimestamp(v.c) && KEY_ID_RE.test(v.k);

/** API keys: checking one on every request, and making, listing and revoking them (admins only). */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(private readonly keys: ApiKeysRepository) {}

  /** The key's owner, or undefined for a key that is malformed, unknown or revoked (all one answer). */
  async authenticate(key: string): Promise<Identity | undefined> {
    const parsed = parseApiKey(key);
    if (!parsed) return undefined;
    const row = await this.keys.forCheck(parsed.keyId);
    // Compared even when the row is missing or revoked: the work done does not say which it was.
    const matches = secretMatches(parsed.secret, row?.secret_sha256);
    if (!row || row.revoked || !matches) return undefined;
    return { userId: row.user_id, admin: row.admin };
  }

  async create(caller: Identity, userId: string, admin: boolean): Promise<CreatedApiKeyDto> {
    this.requireAdmin(caller, 'making API keys');
    const minted = mintApiKey();
    await this.keys.insert({
      keyId: minted.keyId,
      userId,
      admin,
      secretDigest: minted.secretDigest,
      createdBy: caller.userId,
    });
    // The key id names the key in the log; the key itself goes to the caller only.
    this.logger.log(
      { key_id: minted.keyId, user_id: userId, admin, by: caller.userId },
      `API key ${minted.keyId} made for ${userId}${admin ? ' (admin)' : ''} by ${caller.userId}`,
    );
    return { key_id: minted.keyId, user_id: userId, admin, key: minted.key };
  }

  async list(caller: Identity, limit: number, cursor?: string): Promise<Page<ApiKeyDto>> {
    this.requireAdmin(caller, 'listing API keys');
    const after = decodeCursor(cursor, isKeyCursor);
    const rows = await this.keys.page(limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toDto),
      next_cursor: rows.length > limit && last ? encodeCursor({ c: last.created_at_us, k: last.key_id }) : null,
    };
  }

  async revoke(caller: Identity, keyId: string): Promise<void> {
    this.requireAdmin(caller, 'revoking API keys');
    if (!KEY_ID_RE.test(keyId) || !(await this.keys.revoke(keyId))) throw new KeyNotFoundError();
    this.logger.log({ key_id: keyId, by: caller.userId }, `API key ${keyId} revoked by ${caller.userId}`);
  }

  private requireAdmin(caller: Identity, what: string): void {
    if (!caller.admin) throw new AdminRequiredError(what);
  }
}

function toDto(r: ApiKeyRow): ApiKeyDto {
  return {
    key_id: r.key_id,
    user_id: r.user_id,
    admin: r.admin,
    created_by: r.created_by,
    created_at: r.created_at,
    revoked_at: r.revoked_at,
  };
}
