import { Check, Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One API key (SPEC §8.8): whose it is, whether it is an admin's, and the SHA-256 of its secret.
 * The key itself is never stored. A revoked key keeps its row (revoked_at set), so the list shows
 * what was revoked and when, and a revoke is idempotent.
 */
@Entity({ tableName: 'api_keys' })
@Check({
  name: 'api_keys_user_id_check',
  expression: '((char_length(user_id) >= 1) AND (char_length(user_id) <= 128))',
})
@Check({ name: 'api_keys_secret_sha256_check', expression: '(octet_length(secret_sha256) = 32)' })
export class ApiKey {
  [OptionalProps]?: 'admin' | 'createdAt';

  @PrimaryKey({ type: 'text' })
  keyId!: string;

  @Property({ type: 'text' })
  userId!: string;

  @Property({ type: 'boolean', default: false })
  admin!: boolean;

  @Property({ type: 'blob', columnType: 'bytea' })
  secretSha256!: Buffer;

  /** Who made it: an admin's user id over the API; null from the CLI (straight to the database). */
  @Property({ type: 'text', nullable: true })
  createdBy?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date | null;
}
