import { EntityManager } from '@mikro-orm/postgresql';
import type { FailureBudget } from './settle.policy';
import { Injectable } from '@nestjs/common';
import type { Identity } from '../common/auth/identity';
import { PreparedStatement } from '../database/prepared';
import { isoUtc, slices } from '../database/sql';
import type { ProgramMetadata, ProgramStatus } from './program.types';

export interface ProgramRow {
  id: string;
  user_id: string;
  name: string;
  total_files: number;
  status: ProgramStatus;
  created_at: string;
  updated_at: string;
  request_hash: string | null;
  /** metadata_json as stored (JSON text), when asked for: it is passed through, never re-parsed. */
  metadata_text?: string;
  /** updated_at to the microsecond: changes with every write of the progress row. */
  version: string;
}

/** Who owns a program and its version (the ETag), for the check of a cached answer. */
export interface ProgramVersionRow {
  id: string;
  user_id: string;
  version: string;
}

/** A row of the program list: the summary, the cursor position and the summary's file counts. */
export interface ProgramListRow extends ProgramRow {
  created_at_us: string;
  done: number;
  failed: number;
}

export interface NewProgram {
  id: string;
  userId: string;
  name: string;
  files: readonly string[];
  idempotencyKey?: string;
  requestHash: string;
  metadata: ProgramMetadata;
  failureBudget?: FailureBudget;
  webhookUrl?: string;
}

const PROGRAM_ID_RE = /^prog_[0-9a-f]{24}$/;

/** Only ids this service could have issued reach SQL; anything else simply does not exist. */
export const isProgramId = (id: string): boolean => PROGRAM_ID_RE.test(id);

// A program's version (its ETag): when its progress row last changed, to the microsecond.
const VERSION = `to_char(s.updated_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS')`;
const SUMMARY_COLUMNS = `p.id, p.user_id, p.name, p.total_files, s.status, p.request_hash,
  ${isoUtc('p.created_at')} AS created_at, ${isoUtc('s.updated_at')} AS updated_at,
  ${VERSION} AS version`;

const VERSIONS_OF = new PreparedStatement<ProgramVersionRow>(
  'programs_versions_of',
  `SELECT p.id, p.user_id, ${VERSION} AS version
   FROM programs p JOIN program_states s ON s.program_id = p.id WHERE p.id = ANY($1::text[])`,
);

// A multi-row INSERT of this many files stays well under PostgreSQL's statement limits.
const FILE_INSERT_BATCH = 2000;

/** SQL for programs, their progress row and their retry history. */
@Injectable()
export class ProgramsRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Creates the program, its progress row and one row per file in one transaction, so a rejected
   * or interrupted create leaves nothing behind. Returns false when the idempotency key is taken
   * (the unique index makes a concurrent twin wait for the first and then see it).
   */
  async create(p: NewProgram): Promise<boolean> {
    return this.em.transactional(async (tem) => {
      const inserted = await tem.execute<{ id: string }[]>(
        `INSERT INTO programs (id, user_id, name, total_files, idempotency_key, request_hash,
                               failure_budget_ratio, failure_budget_min_files, webhook_url)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING id`,
        [
          p.id,
          p.userId,
          p.name,
          p.files.length,
          p.idempotencyKey ?? null,
          p.requestHash,
          p.failureBudget?.maxFailedRatio ?? null,
          p.failureBudget?.minFiles ?? null,
          p.webhookUrl ?? null,
        ],
      );
      if (inserted.length === 0) return false;
      await tem.execute(
        `INSERT INTO program_states (program_id, status, metadata_json) VALUES (?, 'pending', ?::json)`,
        [p.id, JSON.stringify(p.metadata)],
      );
      let index = 0;
      for (const batch of slices(p.files, FILE_INSERT_BATCH)) {
        const values: unknown[] = [];
        for (const path of batch) values.push(p.id, index++, path);
        await tem.execute(
          `INSERT INTO program_files (program_id, source_index, source_file_path) VALUES ${batch
            .map(() => '(?, ?, ?)')
            .join(', ')}`,
          values,
        );
      }
      return true;
    });
  }

  async findByIdempotencyKey(userId: string, key: string): Promise<ProgramRow | undefined> {
    const rows = await this.em.execute<ProgramRow[]>(
      `SELECT ${SUMMARY_COLUMNS} FROM programs p JOIN program_states s ON s.program_id = p.id
       WHERE p.user_id = ? AND p.idempotency_key = ?`,
      [userId, key],
    );
    return rows[0];
  }

  /**
   * The program only if the caller may see it: their own, or any for an admin. Other users'
   * programs do not exist for a caller who is not an admin.
   */
  async findOwned(programId: string, caller: Identity, withMetadata: boolean): Promise<ProgramRow | undefined> {
    if (!isProgramId(programId)) return undefined;
    const rows = await this.em.execute<ProgramRow[]>(
      `SELECT ${SUMMARY_COLUMNS}${withMetadata ? ', s.metadata_json::text AS metadata_text' : ''}
       FROM programs p JOIN program_states s ON s.program_id = p.id
       WHERE p.id = ?${caller.admin ? '' : ' AND p.user_id = ?'}`,
      caller.admin ? [programId] : [programId, caller.userId],
    );
    return rows[0];
  }

  /** Owner and version of each of `ids` that exists, in one prepared statement. */
  versionsOf(ids: string[]): Promise<ProgramVersionRow[]> {
    return VERSIONS_OF.run(this.em, [ids]);
  }

  async findById(programId: string): Promise<ProgramRow | undefined> {
    if (!isProgramId(programId)) return undefined;
    const rows = await this.em.execute<ProgramRow[]>(
      `SELECT ${SUMMARY_COLUMNS} FROM programs p JOIN program_states s ON s.program_id = p.id WHERE p.id = ?`,
      [programId],
    );
    return rows[0];
  }

  /**
   * Newest first, optionally of one status; keyset on (created_at, id) so pages stay stable while
   * programs are created. Rows carry `created_at_us` (microsecond precision) for the next cursor, and
   * the file counts of the program's summary. `userId` undefined: every user's programs (an admin's
   * all_users=true).
   */
  async listOwned(
    userId: string | undefined,
    limit: number,
    after?: { c: string; i: string },
    status?: ProgramStatus,
  ): Promise<ProgramListRow[]> {
    const params: unknown[] = userId === undefined ? [] : [userId];
    let filters = '';
    if (status) {
      filters += ' AND s.status = ?';
      params.push(status);
    }
    if (after) {
      filters += ' AND (p.created_at, p.id) < (?::timestamptz, ?)';
      params.push(after.c, after.i);
    }
    params.push(limit);
    // The counts are the summary's, copied into two columns whenever it is written: never counted
    // from program_files, and never parsed out of metadata_json (hundreds of KB with its failure lists).
    return this.em.execute<ProgramListRow[]>(
      `SELECT ${SUMMARY_COLUMNS},
         to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_us,
         s.done_files AS done, s.failed_files AS failed
       FROM programs p JOIN program_states s ON s.program_id = p.id
       WHERE ${userId === undefined ? 'TRUE' : 'p.user_id = ?'}${filters}
       ORDER BY p.created_at DESC, p.id DESC LIMIT ?`,
      params,
    );
  }

  /**
   * Writes metadata_json (and a status, when given). `onlyWhileRunning`: only while the first run has
   * not settled, so nothing written for the run can land on a settled program; with a status too,
   * only once no file is left unsettled — the program settles exactly once, whoever gets here
   * first. True when written.
   */
  async writeSummary(
    programId: string,
    metadata: ProgramMetadata,
    opts: { status?: ProgramStatus; onlyWhileRunning: boolean },
  ): Promise<boolean> {
    const settling = opts.onlyWhileRunning && opts.status !== undefined;
    const res = await this.em.execute<{ program_id: string }[]>(
      `UPDATE program_states SET metadata_json = ?::json, done_files = ?, failed_files = ?,
         status = COALESCE(?, status), updated_at = now()
       WHERE program_id = ? ${opts.onlyWhileRunning ? `AND status IN ('pending', 'processing')` : ''}
         ${settling ? `AND NOT EXISTS (SELECT 1 FROM program_files WHERE program_id = ? AND state IN ('pending', 'processing'))` : ''}
       RETURNING program_id`,
      [
        JSON.stringify(metadata),
        metadata.total_successful_documents,
        metadata.preprocessing.summary.failed + metadata.document_storage.summary.failed,
        opts.status ?? null,
        programId,
        ...(settling ? [programId] : []),
      ],
    );
    return res.length > 0;
  }

  /**
   * Programs still `processing` with no file left to work: their last file was settled by a replica
   * that did not live to settle the program. Whoever finds one settles it.
   */
  async runningWithoutWork(limit: number): Promise<string[]> {
    const rows = await this.em.execute<{ program_id: string }[]>(
      `SELECT s.program_id FROM program_states s
       WHERE s.status IN ('pending', 'processing')
         AND NOT EXISTS (SELECT 1 FROM program_files f WHERE f.program_id = s.program_id AND f.state IN ('pending', 'processing'))
       LIMIT ?`,
      [limit],
    );
    return rows.map((r) => r.program_id);
  }

  /**
   * A program's webhook target, status and the two stage summaries of its metadata_json. Only the
   * summaries leave the database: the failure lists beside them can be long, and no webhook carries them.
   */
  async notificationView(programId: string) {
    if (!isProgramId(programId)) return undefined;
    const rows = await this.em.execute<
      {
        webhook_url: string | null;
        status: ProgramStatus;
        preprocessing: Record<string, unknown> | null;
        document_storage: Record<string, unknown> | null;
      }[]
    >(
      `SELECT p.webhook_url, s.status,
              s.metadata_json -> 'preprocessing' -> 'summary' AS preprocessing,
              s.metadata_json -> 'document_storage' -> 'summary' AS document_storage
       FROM programs p JOIN program_states s ON s.program_id = p.id WHERE p.id = ?`,
      [programId],
    );
    return rows[0];
  }

  /** The program's failure budget (none: undefined) and status, for whoever works its first run. */
  async budgetOf(programId: string): Promise<{ budget?: FailureBudget; status: ProgramStatus } | undefined> {
    const rows = await this.em.execute<{ ratio: number | null; min_files: number | null; status: ProgramStatus }[]>(
      `SELECT p.failure_budget_ratio AS ratio, p.failure_budget_min_files AS min_files, s.status
       FROM programs p JOIN program_states s ON s.program_id = p.id WHERE p.id = ?`,
      [programId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      status: r.status,
      budget: r.ratio === null ? undefined : { maxFailedRatio: Number(r.ratio), minFiles: r.min_files ?? 0 },
    };
  }
}
