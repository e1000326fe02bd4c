import { Migration } from '@mikro-orm/migrations';

/**
 * Identity (SPEC §8.8): API keys, stored as the SHA-256 of their secret only, and an index for an
 * admin's list of every user's programs (newest first), which the per-user index cannot serve.
 */
export class Migration20261203000000_api_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE api_keys (
        key_id        text PRIMARY KEY,
        user_id       text NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 128),
        admin         boolean NOT NULL DEFAULT false,
        secret_sha256 bytea NOT NULL CHECK (octet_length(secret_sha256) = 32),
        created_by    text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        revoked_at    timestamptz
      )`);
    this.addSql(`CREATE INDEX programs_created_idx ON programs (created_at DESC, id DESC)`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS programs_created_idx');
    this.addSql('DROP TABLE IF EXISTS api_keys');
  }
}
