import { Migration } from '@mikro-orm/migrations';

/**
 * Failure policy (SPEC §8.3–8.5): programs end `cancelled` or `aborted` as well, carry their own
 * failure budget and webhook target, retry runs count what a selected retry skipped, and every
 * notification waits in an outbox row until it is delivered (or gives up).
 */
export class Migration20261202000000_failure_policy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE program_states DROP CONSTRAINT IF EXISTS program_states_status_check`);
    this.addSql(`ALTER TABLE program_states ADD CONSTRAINT program_states_status_check
                 CHECK (status IN ('pending','processing','completed','completed_with_failures','cancelled','aborted'))`);
    this.addSql(`ALTER TABLE programs
                   ADD COLUMN failure_budget_ratio     double precision
                       CHECK (failure_budget_ratio >= 0 AND failure_budget_ratio <= 1),
                   ADD COLUMN failure_budget_min_files integer CHECK (failure_budget_min_files >= 0),
                   ADD COLUMN webhook_url              text`);
    this.addSql(`ALTER TABLE retry_runs ADD COLUMN skipped integer NOT NULL DEFAULT 0`);
    // One row per notification: written when the fact happens, sent by whichever replica finds it
    // due, kept after delivery (its event_id is what a receiver deduplicates by).
    this.addSql(`
      CREATE TABLE webhook_deliveries (
        event_id        text PRIMARY KEY,
        program_id      text NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
        event           text NOT NULL CHECK (event IN ('program.settled','retry.finished')),
        url             text NOT NULL,
        body            text NOT NULL,
        status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','delivered','failed')),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error      text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        delivered_at    timestamptz
      )`);
    this.addSql(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
                 WHERE status = 'pending'`);
    this.addSql(`CREATE INDEX webhook_deliveries_program_idx ON webhook_deliveries (program_id)`);
  }

  override async down(): Promise<void> {
    this.addSql('DROP TABLE IF EXISTS webhook_deliveries');
    this.addSql('ALTER TABLE retry_runs DROP COLUMN IF EXISTS skipped');
    this.addSql(`ALTER TABLE programs DROP COLUMN IF EXISTS failure_budget_ratio,
                   DROP COLUMN IF EXISTS failure_budget_min_files, DROP COLUMN IF EXISTS webhook_url`);
    this.addSql(`UPDATE program_states SET status = 'completed_with_failures' WHERE status IN ('cancelled','aborted')`);
    this.addSql(`ALTER TABLE program_states DROP CONSTRAINT IF EXISTS program_states_status_check`);
    this.addSql(`ALTER TABLE program_states ADD CONSTRAINT program_states_status_check
                 CHECK (status IN ('pending','processing','completed','completed_with_failures'))`);
  }
}
