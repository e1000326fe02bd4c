import { Migration } from '@mikro-orm/migrations';

/**
 * Work model v2 (docs/locking.md): files are leased, not programs. A file being worked on is
 * `processing`, held by `lease_owner` until `lease_expires_at` (database clock), and every claim
 * moves its fencing `epoch` on, so an outcome written under an older epoch changes nothing.
 * Retry runs have a status, and every attempt at a file keeps its own row.
 */
export class Migration20261201000000_work_model_v2 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE program_files DROP CONSTRAINT IF EXISTS program_files_state_check`);
    this.addSql(`ALTER TABLE program_files ADD CONSTRAINT program_files_state_check
                 CHECK (state IN ('pending','processing','done','preprocessing_failed','document_failed'))`);
    this.addSql(`ALTER TABLE program_files
                   ADD COLUMN lease_owner      text,
                   ADD COLUMN lease_expires_at timestamptz,
                   ADD COLUMN epoch            bigint NOT NULL DEFAULT 0,
                   ADD COLUMN run_id           bigint,
                   ADD COLUMN run_trigger      text CHECK (run_trigger IN ('manual','scheduled')),
                   ADD COLUMN resume_from      text CHECK (resume_from IN ('document','document_or_remake')),
                   ADD COLUMN attempts         integer NOT NULL DEFAULT 0`);
    // Files that ran before this migration made one attempt plus their retries.
    this.addSql(`UPDATE program_files SET attempts = retry_count + 1 WHERE state <> 'pending'`);
    // Claims and the search for programs with work: only unsettled rows, so the index stays small
    // however many files are done.
    this.addSql(`CREATE INDEX program_files_unsettled_idx ON program_files (program_id, source_index)
                 WHERE state IN ('pending','processing')`);
    this.addSql(`CREATE INDEX program_files_run_idx ON program_files (run_id) WHERE run_id IS NOT NULL`);

    this.addSql(`ALTER TABLE retry_runs
                   ADD COLUMN status      text NOT NULL DEFAULT 'finished'
                                          CHECK (status IN ('running','finished','interrupted')),
                   ADD COLUMN finished_at timestamptz`);
    this.addSql(`UPDATE retry_runs SET finished_at = created_at`);
    this.addSql(`CREATE INDEX retry_runs_running_idx ON retry_runs (program_id) WHERE status = 'running'`);

    // One row per pass of a file through the pipeline in one run, never rewritten: a retry keeps
    // every earlier diagnosis. `entry_stage` is where the pass began its work (a Document retry whose
    // processed JSON had to be made again counts as a preprocessing pass), `stage` where it ended.
    this.addSql(`
      CREATE TABLE file_attempts (
        program_id   text NOT NULL,
        source_index integer NOT NULL,
        attempt      integer NOT NULL,
        run_id       bigint,
        trigger      text NOT NULL CHECK (trigger IN ('initial','manual','scheduled')),
        entry_stage  text NOT NULL CHECK (entry_stage IN ('preprocessing','document')),
        stage        text NOT NULL CHECK (stage IN ('preprocessing','document')),
        outcome      text NOT NULL CHECK (outcome IN ('succeeded','failed')),
        error_code   text,
        error        text,
        started_at   timestamptz NOT NULL,
        finished_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (program_id, source_index, attempt),
        FOREIGN KEY (program_id, source_index) REFERENCES program_files (program_id, source_index) ON DELETE CASCADE
      )`);
    this.addSql(`CREATE INDEX file_attempts_run_idx ON file_attempts (run_id) WHERE run_id IS NOT NULL`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS file_attempts');
    this.addSql('DROP INDEX IF EXISTS retry_runs_running_idx');
    this.addSql('ALTER TABLE retry_runs DROP COLUMN IF EXISTS status, DROP COLUMN IF EXISTS finished_at');
    this.addSql('DROP INDEX IF EXISTS program_files_run_idx');
    this.addSql('DROP INDEX IF EXISTS program_files_unsettled_idx');
    this.addSql(`UPDATE program_files SET state = 'pending' WHERE state = 'processing'`);
    this.addSql(`ALTER TABLE program_files DROP COLUMN IF EXISTS lease_owner, DROP COLUMN IF EXISTS lease_expires_at,
                   DROP COLUMN IF EXISTS epoch, DROP COLUMN IF EXISTS run_id, DROP COLUMN IF EXISTS run_trigger, DROP COLUMN IF EXISTS resume_from,
                   DROP COLUMN IF EXISTS attempts`);
    this.addSql(`ALTER TABLE program_files DROP CONSTRAINT IF EXISTS program_files_state_check`);
    this.addSql(`ALTER TABLE program_files ADD CONSTRAINT program_files_state_check
                 CHECK (state IN ('pending','done','preprocessing_failed','document_failed'))`);
  }
}
