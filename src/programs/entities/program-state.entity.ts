import { Entity, Enum, Index, ManyToOne, OptionalProps, Property } from '@mikro-orm/core';
import { PROGRAM_STATUSES, type ProgramMetadata, type ProgramStatus } from '../program.types';
import { Program } from './program.entity';

/** Mutable progress of a program, kept apart from the locked program row so readers see it live. */
@Entity({ tableName: 'program_states' })
@Index({
  name: 'program_states_unfinished_idx',
  expression:
    "CREATE INDEX program_states_unfinished_idx ON program_states USING btree (status) WHERE (status = ANY (ARRAY['pending'::text, 'processing'::text]))",
})
export class ProgramState {
  [OptionalProps]?: 'updatedAt' | 'doneFiles' | 'failedFiles';

  // The key is also the foreign key: the relation holds the program id itself (mapToPk), so the
  // row is written and read with a plain string. Constraint names are PostgreSQL's own
  // (<table>_<column>_fkey), since the schema diff matches foreign keys by name. ON UPDATE is
  // spelled out because MikroORM would default it to cascade; the migrations leave NO ACTION.
  @ManyToOne({
    entity: () => Program,
    primary: true,
    mapToPk: true,
    fieldName: 'program_id',
    foreignKeyName: 'program_states_program_id_fkey',
    deleteRule: 'cascade',
    updateRule: 'no action',
  })
  programId!: string;

  // A text column with a CHECK (… IN …) is how MikroORM maps a string enum on PostgreSQL; the
  // diff reads that check back as the column's items, in order.
  @Enum({ items: [...PROGRAM_STATUSES], columnType: 'text' })
  status!: ProgramStatus;

  // json, as the migration created it (retry_runs.results is jsonb). MikroORM's diff treats json
  // and jsonb alike, so the schema-drift test compares this column type itself.
  @Property({ type: 'json', columnType: 'json', fieldName: 'metadata_json' })
  metadataJson!: ProgramMetadata;

  // Copies of the summary's counts, written with it, so that a list reads two integers per program.
  @Property({ type: 'integer', default: 0 })
  doneFiles!: number;

  @Property({ type: 'integer', default: 0 })
  failedFiles!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt!: Date;
}
