import { Command } from '@nestjs/cqrs';
import type { DocumentFields } from './store-document.command';

export type LoadProcessedJsonOutcome =
  | { ok: true; fields: DocumentFields }
  | {
      ok: false;
      errorCode: 'PROCESSED_JSON_MISSING' | 'PROCESSED_JSON_INVALID' | 'STORAGE_UNAVAILABLE';
      error: string;
    };

/** A Document retry starts from the processed JSON in S3, which must exist, parse and be this file's. */
export class LoadProcessedJsonCommand extends Command<LoadProcessedJsonOutcome> {
  constructor(
    readonly programId: string,
    readonly sourceIndex: number,
    readonly s3Path: string,
  ) {
    super();
  }
}
