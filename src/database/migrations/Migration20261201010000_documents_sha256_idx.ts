import { Migration } from '@mikro-orm/migrations';

export class Migration20261201010000_documents_sha256_idx extends Migration {
  override async up(): Promise<void> {
    // Finding another file of the same program with the same bytes, to reuse its extraction.
    this.addSql(`CREATE INDEX documents_program_sha256_idx ON documents (program_id, sha256)`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS documents_program_sha256_idx');
  }
}
