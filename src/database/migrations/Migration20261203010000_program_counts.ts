import { Migration } from '@mikro-orm/migrations';

export class Migration20261203010000_program_counts extends Migration {
  override async up(): Promise<void> {
    // The list's per-program counts, written with each summary: reading them out of metadata_json
    // parsed the whole summary (hundreds of KB with its inline failure lists) per row per request.
    this.addSql(`ALTER TABLE program_states
      ADD COLUMN done_files integer NOT NULL DEFAULT 0,
      ADD COLUMN failed_files integer NOT NULL DEFAULT 0`);
    this.addSql(`UPDATE program_states s SET
        done_files = COALESCE(m.total_successful_documents, 0),
        failed_files = COALESCE((m.preprocessing #>> '{summary,failed}')::int, 0)
          + COALESCE((m.document_storage #>> '{summary,failed}')::int, 0)
      FROM program_states s2
      CROSS JOIN LATERAL json_to_record(s2.metadata_json)
        AS m(preprocessing json, document_storage json, total_successful_documents int)
      WHERE s2.program_id = s.program_id`);
  }

  override async down(): Promise<void> {
    this.addSql('ALTER TABLE program_states DROP COLUMN done_files, DROP COLUMN failed_files');
  }
}
