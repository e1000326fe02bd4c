import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** A stored Document: at most one per (program, source file), enforced by the database. */
@Entity({ tableName: 'documents' })
@Unique({ name: 'documents_program_source_uq', properties: ['programId', 'sourceIndex'] })
// A file's extraction is reused from another file of the program with the same bytes.
@Index({ name: 'documents_program_sha256_idx', properties: ['programId', 'sha256'] })
export class Document {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'text' })
  id!: string;

  // Program is named, not imported: documents may not reach into the programs module
  // (.dependency-cruiser.js). The relation holds the program id itself (mapToPk).
  @ManyToOne({
    entity: 'Program',
    mapToPk: true,
    fieldName: 'program_id',
    foreignKeyName: 'documents_program_id_fkey',
    deleteRule: 'cascade',
    updateRule: 'no action',
  })
  programId!: string;

  @Property({ type: 'integer' })
  sourceIndex!: number;

  @Property({ type: 'text' })
  sourceFilePath!: string;

  // The naming strategy would make this s3path: a digit does not start a new word for it.
  @Property({ type: 'text', fieldName: 's3_path' })
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

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;
}
