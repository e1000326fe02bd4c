import { Check, Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * Identity of a batch. Its row is the lock target for whoever works on the program.
 *
 * Index expressions are written as PostgreSQL prints them back (pg_get_indexdef without the
 * schema): MikroORM compares expression indexes by name only, so the schema-drift test compares
 * these strings with the database's own definitions.
 */
@Entity({ tableName: 'programs' })
@Check({ name: 'programs_total_files_check', expression: 'total_files > 0' })
@Check({
  name: 'programs_failure_budget_ratio_check',
  expression: '((failure_budget_ratio >= (0)::double precision) AND (failure_budget_ratio <= (1)::double precision))',
})
@Check({ name: 'programs_failure_budget_min_files_check', expression: 'failure_budget_min_files >= 0' })
// A partial unique index, not a constraint: only requests that carry a key are deduplicated.
@Unique({
  name: 'programs_user_idempotency_uq',
  expression:
    'CREATE UNIQUE INDEX programs_user_idempotency_uq ON programs USING btree (user_id, idempotency_key) WHERE (idempotency_key IS NOT NULL)',
})
@Index({
  name: 'programs_user_created_idx',
  expression: 'CREATE INDEX programs_user_created_idx ON programs USING btree (user_id, created_at DESC, id DESC)',
})
// An admin's list of every user's programs (all_users=true), newest first.
@Index({
  name: 'programs_created_idx',
  expression: 'CREATE INDEX programs_created_idx ON programs USING btree (created_at DESC, id DESC)',
})
export class Program {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  userId!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'integer' })
  totalFiles!: number;

  @Property({ type: 'text', nullable: true })
  idempotencyKey?: string | null;

  @Property({ type: 'text', nullable: true })
  requestHash?: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;

  /** The failure budget (SPEC §8.4): null ratio = none. */
  @Property({ type: 'double', columnType: 'float8', nullable: true })
  failureBudgetRatio?: number | null;

  @Property({ type: 'integer', nullable: true })
  failureBudgetMinFiles?: number | null;

  /** Where notifications of this program go (SPEC §8.5); its host was allowed at create time. */
  @Property({ type: 'text', nullable: true })
  webhookUrl?: string | null;
}
