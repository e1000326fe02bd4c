import { Migration } from '@mikro-orm/migrations';

export class Migration20261126000000_init extends Migration {
  override async up(): Promise<void> {
    // The program row is the lock target (SELECT … FOR UPDATE by whoever works on it), so its
    // mutable progress lives in program_states: readers see progress while a worker holds the lock.
    this.addSql(`
      CREATE TABLE programs (
        id              text PRIMARY KEY,
        user_id         text NOT NULL,
        name            text NOT NULL,
        total_files     integer NOT NULL CHECK (total_files > 0),
        idempotency_key text,
        request_hash    text,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`CREATE UNIQUE INDEX programs_user_idempotency_uq ON programs (user_id, idempotency_key)
                 WHERE idempotency_key IS NOT NULL`);
    this.addSql(`CREATE INDEX programs_user_created_idx ON programs (user_id, created_at DESC, id DESC)`);

    this.addSql(`
      CREATE TABLE program_states (
        program_id    text PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
        status        text NOT NULL CHECK (status IN ('pending','processing','completed','completed_with_failures')),
        metadata_json json NOT NULL,
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`CREATE INDEX program_states_unfinished_idx ON program_states (status)
                 WHERE status IN ('pending','processing')`);

    // One row per source file: the source of truth for every outcome; metadata_json summarises it.
    this.addSql(`
      CREATE TABLE program_files (
        program_id       text NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
        source_index     integer NOT NULL,
        source_file_path text NOT NULL,
        state            text NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending','done','preprocessing_failed','document_failed')),
        processed_s3_path text,
        error            text,
        error_code       text,
        retryable        boolean,
        retry_count      integer NOT NULL DEFAULT 0,
        failed_at        timestamptz,
        next_retry_at    timestamptz,
        exhausted        boolean NOT NULL DEFAULT false,
        updated_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (program_id, source_index)
      )`);
    this.addSql(`CREATE INDEX program_files_open_idx ON program_files (program_id, state, source_index)
                 WHERE state <> 'done'`);

    this.addSql(`
      CREATE TABLE documents (
        id               text PRIMARY KEY,
        program_id       text NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
        source_index     integer NOT NULL,
        source_file_path text NOT NULL,
        s3_path          text NOT NULL,
        title            text NOT NULL,
        content_type     text NOT NULL,
        characters       integer NOT NULL,
        chunk_count      integer NOT NULL,
        sha256           text NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT documents_program_source_uq UNIQUE (program_id, source_index)
      )`);

    this.addSql(`
      CREATE TABLE retry_runs (
        id           bigserial PRIMARY KEY,
        program_id   text NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
        retry_type   text NOT NULL CHECK (retry_type IN ('preprocessing','document','all')),
        trigger      text NOT NULL CHECK (trigger IN ('manual','scheduled')),
        results      jsonb NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`CREATE INDEX retry_runs_program_idx ON retry_runs (program_id, id)`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS retry_runs, documents, program_files, program_states, programs CASCADE');
  }
}
