import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Identity of a batch. Its row is the lock target for whoever works on the program. */
@Entity({ tableName: 'programs' })
export class Program {
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

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
