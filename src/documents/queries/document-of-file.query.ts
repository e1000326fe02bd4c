import { Query } from '@nestjs/cqrs';

export interface StoredDocument {
  id: string;
  s3Path: string;
}

/** The file's Document, if it has one. */
export class DocumentOfFileQuery extends Query<StoredDocument | undefined> {
  constructor(
    readonly programId: string,
    readonly sourceIndex: number,
  ) {
    super();
  }
}
