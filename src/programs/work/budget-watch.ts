import { Injectable, Logger } from '@nestjs/common';
import { logMessage } from '../../database/sql';
import { ProgramFilesRepository } from '../program-files.repository';
import { ProgramsRepository } from '../programs.repository';
import { BUDGET_EXCEEDED, budgetCheckDue, budgetExceeded, type FailureBudget } from '../settle.policy';
import { ProgramSettler } from './program-settler';

interface Watch {
  budget: FailureBudget;
  /** First-run outcomes this replica recorded for the program, and the failures among them. */
  settled: number;
  failed: number;
  /** `settled` when the program's files were last counted. */
  checkedAt: number;
  checking: boolean;
  stopped: boolean;
  onStop: () => void;
}

/**
 * The failure budget of the first runs this replica works on (SPEC §8.4). Each replica watches its
 * own outcomes and, while its failed share is above the ratio, counts the program's files in the
 * database now and then (budgetCheckDue); the decision is taken on those counts, so every replica
 * of a program reaches the same one, and the stop itself is one transaction (stopUnsettled).
 */
@Injectable()
export class BudgetWatch {
  private readonly logger = new Logger(BudgetWatch.name);
  private readonly watches = new Map<string, Watch>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly files: ProgramFilesRepository,
    private readonly programs: ProgramsRepository,
    private readonly settler: ProgramSettler,
  ) {}

  /**
   * Watches a program while this replica drains it, if it is in its first run and has a budget.
   * `onStop`: the budget stopped the program; the files in hand are lost (their epochs moved on).
   */
  async begin(programId: string, onStop: () => void): Promise<void> {
    const found = await this.programs.budgetOf(programId);
    if (!found?.budget || (found.status !== 'pending' && found.status !== 'processing')) return;
    this.watches.set(programId, {
      budget: found.budget,
      settled: 0,
      failed: 0,
      checkedAt: 0,
      checking: false,
      stopped: false,
      onStop,
    });
  }

  end(programId: string): void {
    this.watches.delete(programId);
  }

  /** An outcome this replica recorded for a file of the program's first run. */
  observe(programId: string, failed: boolean): void {
    const w = this.watches.get(programId);
    if (!w || w.stopped) return;
    w.settled++;
    if (failed) w.failed++;
    this.checkIfDue(programId, w);
  }

  private checkIfDue(programId: string, w: Watch): void {
    if (w.checking || w.stopped || !budgetCheckDue(w.budget, w.settled, w.failed, w.checkedAt)) return;
    w.checking = true;
    w.checkedAt = w.settled;
    const checking = this.check(programId, w).finally(() => {
      this.inFlight.delete(checking);
      w.checking = false;
      // Outcomes that arrived during the count may make another one due.
      this.checkIfDue(programId, w);
    });
    this.inFlight.add(checking);
  }

  /**
   * Resolves once no check is running. Shutdown waits for it before the database pool closes: a
   * stop cut off there would roll back whole (nothing is lost), but its settle would be left to the
   * next replica's sweep and the log would show a failed check that never really failed.
   */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async check(programId: string, w: Watch): Promise<void> {
    try {
      const { settled, failed } = await this.files.settledShare(programId);
      if (!budgetExceeded(w.budget, settled, failed)) return;
      const percent = Math.round(w.budget.maxFailedRatio * 1000) / 10;
      const stopped = await this.files.stopUnsettled(
        programId,
        BUDGET_EXCEEDED,
        `the failure budget was spent: ${failed} of ${settled} settled files failed, more than ${percent}%`,
      );
      if (stopped === undefined) return;
      w.stopped = true;
      this.logger.warn(
        { program_id: programId, settled, failed, stopped },
        `program ${programId}: failure budget spent (${failed} of ${settled} failed); ${stopped} files not attempted`,
      );
      w.onStop();
      await this.settler.settleIfDone(programId);
    } catch (e) {
      // The next outcome tries again; nothing was changed unless the stop committed whole.
      this.logger.warn(`failure budget check of ${programId} failed: ${logMessage(e)}`);
    }
  }
}
