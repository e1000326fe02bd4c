import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { GroupCommit } from '../common/group-commit';
import { PreparedStatement } from '../database/prepared';
import { heldUnderEpoch } from '../database/fencing';
import { isoUtc } from '../database/sql';
import type { AttemptTrigger, RetryTriggerName } from '../events/catalogue';
import { planRetry, type BackoffSettings } from '../retry/backoff.policy';
import type { RequeueSelection } from './commands/requeue-failed-files.command';
import type { FailureStage, FileState } from './program.types';
import { BUDGET_EXCEEDED, CANCELLED } from './settle.policy';
import type { AttemptTally } from './queries/run-progress.query';
import type { FileOutcome } from './work/file-outcome';

export interface FailureRow {
  stage: FailureStage;
  source_index: number;
  source_file_path: string;
  processed_s3_path: string | null;
  error: string;
  error_code: string;
  retryable: boolean;
  retry_count: number;
  failed_at: string;
  next_retry_at: string | null;
  exhausted: boolean;
}

/** One pass of a file, as `file_attempts` keeps it (times ISO UTC). */
export interface AttemptRow {
  attempt: number;
  trigger: AttemptTrigger;
  stage: FailureStage;
  outcome: 'succeeded' | 'failed';
  error_code: string | null;
  error: string | null;
  started_at: string;
  finished_at: string;
}

/** A file in any state; the failure columns hold the last failure (`stage` is set only while failed). */
export interface FileStoryRow extends Omit<FailureRow, 'stage' | 'error' | 'error_code' | 'retryable' | 'failed_at'> {
  state: FileState;
  stage: FailureStage | null;
  error: string | null;
  error_code: string | null;
  retryable: boolean | null;
  failed_at: string | null;
  attempts: AttemptRow[];
}

/** A file claimed by a worker: its lease's epoch, and what its pass is to do. */
export interface ClaimedFile {
  program_id: string;
  source_index: number;
  source_file_path: string;
  /** bigint, as text. */
  epoch: string;
  /** Attempts recorded so far; this pass, if it records an outcome, is attempt `attempts + 1`. */
  attempts: number;
  run_id: string | null;
  run_trigger: RetryTriggerName | null;
  /** A Document retry starts from the processed JSON (`document_or_remake`: made again if unusable). */
  resume_from: 'document' | 'document_or_remake' | null;
  processed_s3_path: string | null;
}

/** Files by state, and of the preprocessing failures those a cancel or the budget stopped. */
export type StateCounts = Record<FileState, number> & { cancelled: number; overBudget: number };

export type StopCode = typeof CANCELLED | typeof BUDGET_EXCEEDED;

const STAGE_STATE: Record<FailureStage, FileState> = {
  preprocessing: 'preprocessing_failed',
  document: 'document_failed',
};

/** "Unsettled": queued, or held by a worker. The one definition; every query below uses it. */
const UNSETTLED = `('pending', 'processing')`;
/** Unsettled and free to take: queued, or held under a lease that ran out (its holder died or stalled). */
const claimable = (f: string): string =>
  `${f}.state IN ${UNSETTLED} AND (${f}.state = 'pending' OR ${f}.lease_expires_at < now())`;
/**
 * What the scheduler may retry on its own (the caller adds which stage and when): a retryable
 * failure whose automatic attempts are not used up. The `?` is RETRY_MAX_ATTEMPTS.
 */
const automaticRetryEligible = (t = ''): string => `${t}retryable AND NOT ${t}exhausted AND ${t}retry_count < ?`;

/**
 * Locks the listed files still held under their epochs, in (program, index) order. Every statement
 * that locks several file rows goes through an ordered lock like this one (the claim skips locked
 * rows instead): two such statements can then wait for each other, never deadlock. Parameters:
 * (program_id, source_index, epoch) per file, then whatever `extra` asks for.
 */
const lockHeld = (n: number, extra = ''): string =>
  `SELECT f.program_id, f.source_index FROM program_files f
   JOIN (VALUES ${Array(n).fill('(?, ?::int, ?::bigint)').join(', ')}) AS v(program_id, source_index, epoch)
     ON f.program_id = v.program_id AND f.source_index = v.source_index
   WHERE ${heldUnderEpoch('f', 'v.epoch')} ${extra}
   ORDER BY f.program_id, f.source_index FOR NO KEY UPDATE OF f`;

interface OutcomeWrite {
  file: ClaimedFile;
  outcome: Exclude<FileOutcome, { kind: 'fenced' }>;
  startedAt: Date;
  /** The service's clock (injectable): a failure's next retry is planned from it. */
  now: Date;
  retry: BackoffSettings;
}

// Outcomes and their attempt rows, one array per column (src/database/prepared.ts).
const RECORD_OUTCOMES = new PreparedStatement<{ program_id: string; source_index: number }>(
  'program_files_record_outcomes_v1',
  `WITH v AS (
     SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::int[], $5::text[], $6::text[], $7::text[],
                          $8::text[], $9::boolean[], $10::timestamptz[], $11::boolean[], $12::bigint[], $13::text[],
                          $14::text[], $15::text[], $16::text[], $17::timestamptz[])
       AS v (program_id, source_index, epoch, attempt, state, path, error, code, retryable, next_retry_at, exhausted,
             run_id, trigger, entry_stage, stage, outcome, started_at)),
   l AS (
     SELECT f.program_id, f.source_index FROM program_files f
     JOIN v ON f.program_id = v.program_id AND f.source_index = v.source_index
     WHERE ${heldUnderEpoch('f', 'v.epoch')}
     ORDER BY f.program_id, f.source_index FOR NO KEY UPDATE OF f),
   f AS (
     UPDATE program_files pf SET state = v.state, processed_s3_path = COALESCE(v.path, pf.processed_s3_path),
       error = v.error, error_code = v.code, retryable = v.retryable,
       failed_at = CASE WHEN v.state = 'done' THEN NULL ELSE now() END,
       next_retry_at = v.next_retry_at, exhausted = v.exhausted, attempts = v.attempt, retry_count = v.attempt - 1,
       lease_owner = NULL, lease_expires_at = NULL, resume_from = NULL, updated_at = now()
     FROM v JOIN l ON l.program_id = v.program_id AND l.source_index = v.source_index
     WHERE pf.program_id = v.program_id AND pf.source_index = v.source_index
     RETURNING pf.program_id, pf.source_index),
   a AS (
     INSERT INTO file_attempts (program_id, source_index, attempt, run_id, trigger, entry_stage, stage, outcome,
       error_code, error, started_at)
     SELECT v.program_id, v.source_index, v.attempt, v.run_id, v.trigger, v.entry_stage, v.stage, v.outcome,
       v.code, v.error, v.started_at
     FROM v JOIN f ON f.program_id = v.program_id AND f.source_index = v.source_index)
   SELECT program_id, source_index FROM f`,
);

/** SQL for the per-file state: the source of truth of every outcome, and the leases on it. */
@Injectable()
export class ProgramFilesRepository {
  // Outcomes of files finishing together share one statement (and one round trip).
  private readonly outcomes = new GroupCommit<OutcomeWrite, boolean>((batch) => this.recordBatch(batch));

  constructor(private readonly em: EntityManager) {}

  /**
   * Claims up to `limit` claimable files of a program for `owner`, in source order, under a lease of
   * `ttlMs` (database clock), moving each one's epoch on. Files another replica is claiming at the
   * same moment are skipped, not waited for. With `markProcessing` (a drain's first claim), a
   * `pending` program becomes `processing`.
   */
  async claim(
    programId: string,
    owner: string,
    limit: number,
    ttlMs: number,
    opts: { markProcessing: boolean },
  ): Promise<ClaimedFile[]> {
    const rows = await this.em.execute<ClaimedFile[]>(
      `UPDATE program_files f SET state = 'processing', lease_owner = ?,
         lease_expires_at = now() + ? * interval '1 millisecond', epoch = f.epoch + 1, updated_at = now()
       FROM (SELECT program_id, source_index FROM program_files c
             WHERE c.program_id = ? AND ${claimable('c')}
             ORDER BY c.source_index LIMIT ? FOR UPDATE SKIP LOCKED) c
       WHERE f.program_id = c.program_id AND f.source_index = c.source_index
       RETURNING f.program_id, f.source_index, f.source_file_path, f.epoch::text AS epoch, f.attempts,
         f.run_id::text AS run_id, f.run_trigger, f.resume_from, f.processed_s3_path`,
      [owner, ttlMs, programId, limit],
    );
    if (rows.length > 0 && opts.markProcessing) {
      await this.em.execute(
        `UPDATE program_states SET status = 'processing', updated_at = now() WHERE program_id = ? AND status = 'pending'`,
        [programId],
      );
    }
    return rows.sort((a, b) => a.source_index - b.source_index);
  }

  /** Extends the leases `owner` still holds among `files`; returns those (`program:index`). */
  async renewLeases(owner: string, files: ClaimedFile[], ttlMs: number): Promise<Set<string>> {
    if (files.length === 0) return new Set();
    const rows = await this.em.execute<{ program_id: string; source_index: number }[]>(
      `WITH l AS (${lockHeld(files.length, 'AND f.lease_owner = ?')})
       UPDATE program_files f SET lease_expires_at = now() + ? * interval '1 millisecond'
       FROM l WHERE f.program_id = l.program_id AND f.source_index = l.source_index
       RETURNING f.program_id, f.source_index`,
      [...files.flatMap((f) => [f.program_id, f.source_index, f.epoch]), owner, ttlMs],
    );
    return new Set(rows.map((r) => `${r.program_id}:${r.source_index}`));
  }

  /** Hands back files claimed but not started (a shutdown), so nobody waits for their leases. */
  async releaseLeases(owner: string, files: ClaimedFile[]): Promise<void> {
    if (files.length === 0) return;
    await this.em.execute(
      `WITH l AS (${lockHeld(files.length, 'AND f.lease_owner = ?')})
       UPDATE program_files f SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
       FROM l WHERE f.program_id = l.program_id AND f.source_index = l.source_index`,
      [...files.flatMap((f) => [f.program_id, f.source_index, f.epoch]), owner],
    );
  }

  /**
   * Records a pass's outcome and its attempt row — only while the lease holds (fenced by the epoch):
   * false when the file was taken over meanwhile, and then nothing was written. The attempt is
   * counted here, with its outcome: a pass cut short costs no attempt. A failure's backoff and
   * exhaustion are planned from the attempt's number, whoever (operator or scheduler) made it.
   */
  recordOutcome(
    file: ClaimedFile,
    outcome: Exclude<FileOutcome, { kind: 'fenced' }>,
    startedAt: Date,
    now: Date,
    retry: BackoffSettings,
  ): Promise<boolean> {
    return this.outcomes.add({ file, outcome, startedAt, now, retry });
  }

  private async recordBatch(batch: OutcomeWrite[]): Promise<boolean[]> {
    const rows = batch.map(({ file, outcome, startedAt, now, retry }) => {
      const attempt = file.attempts + 1;
      const trigger: AttemptTrigger = file.run_trigger ?? 'initial';
      if (outcome.kind === 'done') {
        return [
          file.program_id,
          file.source_index,
          file.epoch,
          attempt,
          'done',
          outcome.s3Path,
          null,
          null,
          null,
          null,
          false,
          file.run_id,
          trigger,
          outcome.entryStage,
          outcome.stage,
          'succeeded',
          startedAt.toISOString(),
        ];
      }
      // retry_count is the retries made: the attempt number less the first run's.
      const plan = planRetry({ retryable: outcome.retryable, retryCount: attempt - 1 }, retry, now);
      return [
        file.program_id,
        file.source_index,
        file.epoch,
        attempt,
        STAGE_STATE[outcome.stage],
        outcome.s3Path ?? null,
        outcome.error,
        outcome.errorCode,
        outcome.retryable,
        plan.nextRetryAt?.toISOString() ?? null,
        plan.exhausted,
        file.run_id,
        trigger,
        outcome.entryStage,
        outcome.stage,
        'failed',
        startedAt.toISOString(),
      ];
    });
    // Row-wise values, handed over as one array per column.
    const written = await RECORD_OUTCOMES.run(
      this.em,
      rows[0].map((_, c) => rows.map((r) => r[c])),
    );
    const recorded = new Set(written.map((r) => `${r.program_id}:${r.source_index}`));
    return batch.map(({ file }) => recorded.has(`${file.program_id}:${file.source_index}`));
  }

  /**
   * Queues the selected failed files again under a retry run (docs/locking.md): they become
   * `pending` for any replica's workers. A Document failure resumes from its processed JSON (made
   * again when unusable, for retry_type=all). Returns how many were queued.
   */
  async requeueFailed(s: RequeueSelection): Promise<number> {
    const states = s.stages.map((stage) => STAGE_STATE[stage]);
    const params: unknown[] = [
      s.runId,
      s.trigger,
      s.retryType === 'all' ? 'document_or_remake' : 'document',
      s.programId,
      ...states,
    ];
    let dueSql = '';
    if (s.due) {
      dueSql = `AND ${automaticRetryEligible()} AND next_retry_at <= ?::timestamptz`;
      params.push(s.due.maxAttempts, s.due.dueBy.toISOString());
    }
    // Arrays bound as one parameter each: a selection of 100,000 indexes is still one statement.
    if (s.indexes) {
      dueSql += ' AND source_index = ANY(?::int[])';
      params.push(`{${s.indexes.join(',')}}`);
    }
    if (s.errorCodes) {
      dueSql += ' AND error_code = ANY(?::text[])';
      params.push(`{${s.errorCodes.join(',')}}`);
    }
    const rows = await this.em.execute<{ n: number }[]>(
      `WITH q AS (
         UPDATE program_files SET state = 'pending', run_id = ?::bigint, run_trigger = ?,
           resume_from = CASE WHEN state = 'document_failed' THEN ? END,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
         WHERE program_id = ? AND state IN (${states.map(() => '?').join(', ')}) ${dueSql}
         RETURNING 1)
       SELECT count(*)::int AS n FROM q`,
      params,
    );
    return rows[0].n;
  }

  async hasUnsettled(programId: string): Promise<boolean> {
    const rows = await this.em.execute<{ any: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM program_files WHERE program_id = ? AND state IN ${UNSETTLED}) AS any`,
      [programId],
    );
    return rows[0].any;
  }

  async unsettledInRun(runId: string): Promise<number> {
    const rows = await this.em.execute<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM program_files WHERE run_id = ?::bigint AND state IN ${UNSETTLED}`,
      [runId],
    );
    return rows[0].n;
  }

  async attemptsOfRun(runId: string): Promise<AttemptTally[]> {
    return this.em.execute<AttemptTally[]>(
      `SELECT entry_stage, stage, outcome, count(*)::int AS n FROM file_attempts WHERE run_id = ?::bigint
       GROUP BY entry_stage, stage, outcome`,
      [runId],
    );
  }

  /**
   * Programs with a file free to take, oldest first. The unsettled rows are walked one program at a
   * time (a loose index scan over the partial index), so the cost is per program with work, not per file.
   */
  async programsWithClaimableFiles(limit: number): Promise<string[]> {
    const rows = await this.em.execute<{ program_id: string }[]>(
      `WITH RECURSIVE p (program_id) AS (
         (SELECT program_id FROM program_files WHERE state IN ${UNSETTLED} ORDER BY program_id LIMIT 1)
         UNION ALL
         SELECT (SELECT f.program_id FROM program_files f WHERE f.state IN ${UNSETTLED} AND f.program_id > p.program_id
                 ORDER BY f.program_id LIMIT 1)
         FROM p WHERE p.program_id IS NOT NULL)
       SELECT p.program_id FROM p JOIN programs g ON g.id = p.program_id
       WHERE EXISTS (SELECT 1 FROM program_files c WHERE c.program_id = p.program_id AND ${claimable('c')})
       ORDER BY g.created_at LIMIT ?`,
      [limit],
    );
    return rows.map((r) => r.program_id);
  }

  async countByState(programId: string): Promise<StateCounts> {
    const rows = await this.em.execute<{ state: FileState; n: number; cancelled: number; over_budget: number }[]>(
      `SELECT state, count(*)::int AS n,
              count(*) FILTER (WHERE error_code = '${CANCELLED}')::int AS cancelled,
              count(*) FILTER (WHERE error_code = '${BUDGET_EXCEEDED}')::int AS over_budget
       FROM program_files WHERE program_id = ? GROUP BY state`,
      [programId],
    );
    const counts: StateCounts = {
      pending: 0,
      processing: 0,
      done: 0,
      preprocessing_failed: 0,
      document_failed: 0,
      cancelled: 0,
      overBudget: 0,
    };
    for (const r of rows) {
      counts[r.state] = r.n;
      // The stops are preprocessing failures; a Document failure never carries their codes.
      if (r.state === 'preprocessing_failed') {
        counts.cancelled = r.cancelled;
        counts.overBudget = r.over_budget;
      }
    }
    return counts;
  }

  /**
   * Stops a program's first run (cancel, or its failure budget spent): every file not yet settled
   * becomes a preprocessing failure with `code`, not retryable. In one transaction, under the lock of
   * the program's progress row (so it cannot settle meanwhile), in two statements:
   *  1. every unsettled file's epoch moves on, in index order like every multi-row locker here. Its
   *     row locks wait for fenced writes in flight (a Document insert holds its file's row FOR SHARE)
   *     and, once taken, refuse every later one: nothing is written under the old leases after this;
   *  2. a fresh snapshot (read committed: one per statement) sees every Document those writes stored,
   *     and such a file is done, not stopped — done is never undone.
   * Returns how many files were stopped, or undefined when the first run was over already.
   */
  async stopUnsettled(programId: string, code: StopCode, error: string): Promise<number | undefined> {
    return this.em.transactional(async (tem) => {
      const state = await tem.execute<{ status: string }[]>(
        `SELECT status FROM program_states WHERE program_id = ? FOR UPDATE`,
        [programId],
      );
      if (state[0]?.status !== 'pending' && state[0]?.status !== 'processing') return undefined;
      await tem.execute(
        `WITH l AS (
           SELECT source_index FROM program_files WHERE program_id = ? AND state IN ${UNSETTLED}
           ORDER BY source_index FOR NO KEY UPDATE)
         UPDATE program_files f SET epoch = f.epoch + 1, lease_owner = NULL, lease_expires_at = NULL
         FROM l WHERE f.program_id = ? AND f.source_index = l.source_index`,
        [programId, programId],
      );
      const rows = await tem.execute<{ stopped: boolean }[]>(
        `UPDATE program_files f SET
           state = CASE WHEN d.s3_path IS NULL THEN 'preprocessing_failed' ELSE 'done' END,
           processed_s3_path = COALESCE(d.s3_path, f.processed_s3_path),
           error = CASE WHEN d.s3_path IS NULL THEN ? END,
           error_code = CASE WHEN d.s3_path IS NULL THEN ? END,
           retryable = CASE WHEN d.s3_path IS NULL THEN false END,
           failed_at = CASE WHEN d.s3_path IS NULL THEN now() END,
           next_retry_at = NULL, exhausted = false, resume_from = NULL, updated_at = now()
         FROM program_files f2 LEFT JOIN documents d
           ON d.program_id = f2.program_id AND d.source_index = f2.source_index
         WHERE f2.program_id = ? AND f2.state IN ${UNSETTLED}
           AND f.program_id = f2.program_id AND f.source_index = f2.source_index
         RETURNING d.s3_path IS NULL AS stopped`,
        [error, code, programId],
      );
      return rows.filter((r) => r.stopped).length;
    });
  }

  /** Files of a program settled so far, and how many of them failed: the failure budget's measure. */
  async settledShare(programId: string): Promise<{ settled: number; failed: number }> {
    const rows = await this.em.execute<{ settled: number; failed: number }[]>(
      `SELECT count(*) FILTER (WHERE state NOT IN ${UNSETTLED})::int AS settled,
              count(*) FILTER (WHERE state IN ('preprocessing_failed', 'document_failed'))::int AS failed
       FROM program_files WHERE program_id = ?`,
      [programId],
    );
    return rows[0];
  }

  /**
   * Programs with at least one failure the scheduler may retry now, longest overdue first, leaving
   * out programs whose first run is not over (that run owns their files) and programs someone or
   * their budget stopped (only a person resumes those).
   */
  async programsWithDueRetries(due: { dueBy: Date; maxAttempts: number }, limit: number): Promise<string[]> {
    const rows = await this.em.execute<{ program_id: string }[]>(
      `SELECT f.program_id FROM program_files f
       JOIN program_states s ON s.program_id = f.program_id
        AND s.status NOT IN ('pending', 'processing', 'cancelled', 'aborted')
       WHERE f.state IN ('preprocessing_failed', 'document_failed') AND ${automaticRetryEligible('f.')}
         AND f.next_retry_at <= ?::timestamptz
       GROUP BY f.program_id ORDER BY min(f.next_retry_at) LIMIT ?`,
      [due.maxAttempts, due.dueBy.toISOString(), limit],
    );
    return rows.map((r) => r.program_id);
  }

  /** Failures in source order, one stage or both; keyset on source_index (a file fails at one stage at most). */
  async failures(
    programId: string,
    stage: FailureStage | undefined,
    afterIndex: number,
    limit: number,
    errorCode?: string,
  ): Promise<FailureRow[]> {
    const states = stage ? [STAGE_STATE[stage]] : [STAGE_STATE.preprocessing, STAGE_STATE.document];
    return this.em.execute<FailureRow[]>(
      `SELECT CASE state WHEN 'preprocessing_failed' THEN 'preprocessing' ELSE 'document' END AS stage,
         source_index, source_file_path, processed_s3_path, error, error_code, retryable, retry_count,
         ${isoUtc('failed_at')} AS failed_at, ${isoUtc('next_retry_at')} AS next_retry_at, exhausted
       FROM program_files
       WHERE program_id = ? AND state IN (${states.map(() => '?').join(', ')}) AND source_index > ?
         ${errorCode === undefined ? '' : 'AND error_code = ?'}
       ORDER BY source_index LIMIT ?`,
      [programId, ...states, afterIndex, ...(errorCode === undefined ? [] : [errorCode]), limit],
    );
  }

  /**
   * Files waiting, leased and exhausted over every program. Only rows that are not done are read
   * (the partial index program_files_open_idx), so the cost follows the backlog, not the history.
   */
  async backlog(): Promise<{ pending: number; leased: number; exhausted: number }> {
    const rows = await this.em.execute<{ pending: number; leased: number; exhausted: number }[]>(
      `SELECT count(*) FILTER (WHERE state = 'pending')::int AS pending,
              count(*) FILTER (WHERE state = 'processing')::int AS leased,
              count(*) FILTER (WHERE exhausted AND state IN ('preprocessing_failed', 'document_failed'))::int AS exhausted
       FROM program_files WHERE state <> 'done'`,
    );
    return rows[0];
  }

  /** How many failures of each stage carry each error code, most common first. */
  async failureCounts(programId: string): Promise<{ stage: FailureStage; error_code: string; count: number }[]> {
    return this.em.execute(
      `SELECT CASE state WHEN 'preprocessing_failed' THEN 'preprocessing' ELSE 'document' END AS stage,
              error_code, count(*)::int AS count
       FROM program_files WHERE program_id = ? AND state IN ('preprocessing_failed', 'document_failed')
       GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
      [programId],
    );
  }

  /**
   * One file with every attempt ever made at it, oldest first, read in one statement: the state and
   * the attempt list come from the same snapshot, so a retry recording meanwhile cannot show a failed
   * file whose last attempt succeeded.
   */
  async fileStory(programId: string, sourceIndex: number): Promise<FileStoryRow | undefined> {
    const rows = await this.em.execute<FileStoryRow[]>(
      `SELECT f.state,
         CASE f.state WHEN 'preprocessing_failed' THEN 'preprocessing' WHEN 'document_failed' THEN 'document' END AS stage,
         f.source_index, f.source_file_path, f.processed_s3_path, f.error, f.error_code, f.retryable, f.retry_count,
         ${isoUtc('f.failed_at')} AS failed_at, ${isoUtc('f.next_retry_at')} AS next_retry_at, f.exhausted,
         COALESCE((SELECT json_agg(json_build_object('attempt', a.attempt, 'trigger', a.trigger, 'stage', a.stage,
                                     'outcome', a.outcome, 'error_code', a.error_code, 'error', a.error,
                                     'started_at', ${isoUtc('a.started_at')}, 'finished_at', ${isoUtc('a.finished_at')})
                                   ORDER BY a.attempt)
                   FROM file_attempts a WHERE a.program_id = f.program_id AND a.source_index = f.source_index),
                  '[]'::json) AS attempts
       FROM program_files f WHERE f.program_id = ? AND f.source_index = ?`,
      [programId, sourceIndex],
    );
    return rows[0];
  }
}
