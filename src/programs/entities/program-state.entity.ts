import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { ProgramMetadata, ProgramStatus } from '../program.types';

/** Mutable progress of a program, kept apart from the locked program row so readers see it live. */
@Entity({ tableName: 'program_states' })
export class ProgramState {
  @PrimaryKey({ type: 'text' })
  programId!: string;

  @Property({ type: 'text' })
  status!: ProgramStatus;

  @Property({ type: 'json', fieldName: 'metadata_json' })
  metadataJson!: ProgramMetadata;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
