import { Query } from '@nestjs/cqrs';

/**
 * The processed JSON of another file of the same program with the same bytes (by SHA-256), when
 * one has a Document: archives often hold the same file many times, and its extraction can be reused.
 */
export class ProcessedCopyQuery extends Query<string | undefined> {
  constructor(
    readonly programId: string,
    readonly sha256: string,
    readonly sourceIndex: number,
  ) {
    super();
  }
}
