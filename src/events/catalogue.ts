/**
 * The facts of the work, and the shared vocabulary of the modules. A request that needs an answer
 * is a command (exactly one handler, in the module that owns the work: see each module's
 * `commands/`); what happened is an event here, published on the event bus, whose handlers
 * (metrics, logs, later notifications) run apart from the work and can never fail or stall it.
 *
 * One file's journey (docs/architecture.md):
 *   programs FileWorker claims it under a lease
 *     → PreprocessFileCommand (preprocessing) → StoreDocumentCommand (documents, fenced by the epoch)
 *     → outcome recorded (programs, fenced) → FileSettledEvent
 *   whoever records a program's last file settles it → ProgramSettledEvent
 *   a retry run queues failed files, the workers settle them → RetryFinishedEvent
 */
import type { IEvent } from '@nestjs/cqrs';

export type RetryTypeName = 'preprocessing' | 'document' | 'all';
export type RetryTriggerName = 'manual' | 'scheduled';
/** Who sent a file through the pipeline: its first run, or a retry run. */
export type AttemptTrigger = 'initial' | RetryTriggerName;
export type Stage = 'preprocessing' | 'document';

export interface StageCounts {
  retried: number;
  success: number;
  failed: number;
}

export interface RetryResults {
  preprocessing: StageCounts;
  document: StageCounts;
}

/** An entry of metadata_json.retry_history (the seed's shape). */
export interface RetryHistoryEntry {
  retry_type: RetryTypeName;
  trigger: RetryTriggerName;
  timestamp: string;
  results: RetryResults;
}

/** The newest ended runs of a program, oldest first, and how many have ended in all. */
export interface RetryHistoryWindow {
  entries: RetryHistoryEntry[];
  total: number;
}

/** What preprocessing made of a file, and what its Document is built from. */
export interface ProcessedFileSummary {
  /** s3:// URI of the processed JSON. */
  s3Path: string;
  title: string;
  contentType: string;
  characters: number;
  chunkCount: number;
  sha256: string;
}

/** The file a command is about. */
export interface FileRef {
  programId: string;
  sourceIndex: number;
  sourceFilePath: string;
  /** Ties the log lines of one run (first run or retry run) together. */
  correlationId: string;
}

/** A file's pass ended and its outcome was recorded (not fenced). */
export class FileSettledEvent implements IEvent {
  constructor(
    readonly programId: string,
    readonly sourceIndex: number,
    readonly trigger: AttemptTrigger,
    /** Where the pass began its work. */
    readonly entryStage: Stage,
    /** Where it ended: `document` when it reached Document storage. */
    readonly stage: Stage,
    /** Undefined on success. */
    readonly errorCode?: string,
  ) {}
}

/** A program's first run settled (exactly once, whichever replica settled its last file). */
export class ProgramSettledEvent implements IEvent {
  constructor(
    readonly programId: string,
    readonly status: string,
    /** From creation to settling. */
    readonly seconds: number,
  ) {}
}

/** A retry run ended: `finished` by its holder, or `interrupted` (its holder died) by whoever noticed. */
export class RetryFinishedEvent implements IEvent {
  constructor(
    readonly programId: string,
    readonly runId: string,
    readonly trigger: RetryTriggerName,
    readonly status: 'finished' | 'interrupted',
    readonly results: RetryResults,
  ) {}
}

/** Files of a program were queued on this replica (a create, a retry run). */
export class FilesQueuedEvent implements IEvent {
  constructor(readonly programId: string) {}
}
