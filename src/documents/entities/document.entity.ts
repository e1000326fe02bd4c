import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** A stored Document: at most one per (program, source file), enforced by the database. */
@Entity({ tableName: 'documents' })
@Unique({ name: 'documents_program_source_uq', properties: ['programId', 'sourceIndex'] })
export class Document {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  programId!: string;

  @Property({ type: 'integer' })
  sourceIndex!: number;

  @Property({ type: 'text' })
  sourceFilePath!: string;

  @Property({ type: 'text' })
  s3Path!: string;

  @Property({ type: 'text' })
  title!: string;

  @Property({ type: 'text' })
  contentType!: string;

  @Property({ type: 'integer' })
  characters!: number;

  @Property({ type: 'integer' })
  chunkCount!: number;

  @Property({ type: 'text' })
  sha256!: string;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
