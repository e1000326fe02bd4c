import { Injectable } from '@nestjs/common';
import type { FileState } from './program.types';

export type FileOutcome = { state: 'done' } | { state: Exclude<FileState, 'done' | 'pending'>; errorCode: string };

const keyOf = (programId: string, sourceIndex: number) => `${programId}:${sourceIndex}`;

/**
 * Lets a retry learn how each file it sent down the pipeline ended, from the same outcome events
 * that are recorded in PostgreSQL — no read-back query per file. Only watched files are kept.
 */
@Injectable()
export class OutcomeTracker {
  private readonly outcomes = new Map<string, FileOutcome | null>();

  watch(programId: string, sourceIndex: number): void {
    this.outcomes.set(keyOf(programId, sourceIndex), null);
  }

  record(programId: string, sourceIndex: number, outcome: FileOutcome): void {
    const key = keyOf(programId, sourceIndex);
    if (this.outcomes.has(key)) this.outcomes.set(key, outcome);
  }

  /** The recorded outcome (undefined when none was), and stops watching. */
  take(programId: string, sourceIndex: number): FileOutcome | undefined {
    const key = keyOf(programId, sourceIndex);
    const outcome = this.outcomes.get(key) ?? undefined;
    this.outcomes.delete(key);
    return outcome;
  }
}
