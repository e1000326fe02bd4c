import { Command } from '@nestjs/cqrs';
import type { FileRef, ProcessedFileSummary } from '../../events/catalogue';

/** The Document's fields: what preprocessing made of the file. */
export type DocumentFields = ProcessedFileSummary;

/**
 * `fenced`: the writer's lease on the file is gone (another holder took it); nothing was written.
 * A Document that already existed (a redo after a crash) is `created: false`, never a second one.
 */
export type StoreDocumentOutcome =
  | { ok: true; documentId: string; created: boolean }
  | { ok: false; fenced: true }
  | { ok: false; fenced: false; errorCode: string; error: string };

/** "Store this Document" for a file held under `epoch`: conditional on the lease, once per file. */
export class StoreDocumentCommand extends Command<StoreDocumentOutcome> {
  constructor(
    readonly file: FileRef,
    readonly epoch: string,
    readonly fields: DocumentFields,
  ) {
    super();
  }
}
