import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** One manual or scheduled retry of a program: the rows behind metadata_json.retry_history. */
@Entity({ tableName: 'retry_runs' })
export class RetryRun {
  @PrimaryKey({ type: 'bigint' })
  id!: string;

  @Property({ type: 'text' })
  programId!: string;

  @Property({ type: 'text' })
  retryType!: string;

  @Property({ type: 'text' })
  trigger!: string;

  @Property({ type: 'json' })
  results!: unknown;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
