import { Migration } from '@mikro-orm/migrations';

export class Migration20261126010000_retry_due_index extends Migration {
  override async up(): Promise<void> {
    // The scheduler's scan: retryable failures by due time, without reading the whole file table.
    this.addSql(`CREATE INDEX program_files_retry_due_idx ON program_files (next_retry_at)
                 WHERE retryable AND NOT exhausted AND state IN ('preprocessing_failed', 'document_failed')`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS program_files_retry_due_idx');
  }
}
