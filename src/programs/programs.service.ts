import { Inject, Injectable, Logger } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { createHash, randomBytes } from 'node:crypto';
import type { Identity } from '../common/auth/identity';
import { AdminRequiredError } from '../common/errors/auth.errors';
import { InvalidRequestError } from '../common/errors/domain.error';
import { GroupCommit } from '../common/group-commit';
import { isCursorTimestamp } from '../common/paging/cursor';
import { isAllowedSourceBucket } from '../common/source-policy';
import { decodeCursor, encodeCursor, indexAfter, Page, pageBySourceIndex } from '../common/paging/cursor';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { validateFailureBudget, validateWebhookUrl } from './dto/create-options';
import { validateFileList } from './dto/file-list';
import type { ExportFormat } from './dto/program-queries';
import type {
  FailureCountsDto,
  FileStoryDto,
  ProgramAcceptedDto,
  ProgramListItemDto,
  ProgramSummaryDto,
} from './dto/program.responses';
import { IdempotencyConflictError, ProgramNotFoundError } from './errors/program.errors';
import { toDocumentRecord, toPreprocessingRecord } from './failure-records';
import { ProgramFilesRepository } from './program-files.repository';
import { FileWorker } from './work/file-worker.service';
import { ProgramSummaryService } from './program-summary.service';
import type { FailureStage, ProgramStatus } from './program.types';
import {
  isProgramId,
  ProgramListRow,
  ProgramRow,
  ProgramsRepository,
  type ProgramVersionRow,
} from './programs.repository';
import { FailureExport, type FailureExportStream } from './use-cases/export-failures';
import { FileStory } from './use-cases/file-story';

// 24 hex characters: the shape isProgramId accepts.
export const newProgramId = (): string => `prog_${randomBytes(12).toString('hex')}`;

const CACHED_BODIES = 32;

// Visible ASCII only: the key is echoed in logs and compared byte for byte.
const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,200}$/;

// Exactly what this service writes: a strict timestamp and a program id; Date.parse accepts far more
// ("1", "May 5") than PostgreSQL's timestamptz input does, and the difference was a 500.
const isListCursor = (v: Record<string, unknown>): v is { c: string; i: string } =>
  typeof v.c === 'string' && typeof v.i === 'string' && isCursorTimestamp(v.c) && isProgramId(v.i);

@Injectable()
export class ProgramsService {
  private readonly logger = new Logger(ProgramsService.name);
  private readonly bodies = new Map<string, { version: string; body: Buffer }>();
  /**
   * Version checks of the requests that arrive together share one statement: 100 pollers of one
   * program cost a few queries per round instead of 100 (and as many pool connections). Each
   * statement starts after every request it answers arrived, so no request sees an older state.
   */
  private readonly versions = new GroupCommit<string, ProgramVersionRow | undefined>(async (ids) => {
    const rows = await this.programs.versionsOf([...new Set(ids)]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }, 1000);
  private readonly story: FileStory;
  private readonly export: FailureExport;

  constructor(
    private readonly programs: ProgramsRepository,
    private readonly files: ProgramFilesRepository,
    private readonly worker: FileWorker,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    queries: QueryBus,
  ) {
    this.story = new FileStory(programs, files, queries, config.s3.bucket);
    this.export = new FailureExport(programs, files, config.s3.bucket);
  }

  async create(
    caller: Identity,
    body: { name: string; files: unknown; failure_budget?: unknown; webhook_url?: unknown },
    idempotencyKey: string | undefined,
    correlationId: string,
  ): Promise<ProgramAcceptedDto> {
    const files = validateFileList(body.files, (bucket) => isAllowedSourceBucket(bucket, this.config.s3));
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_RE.test(idempotencyKey)) {
      throw new InvalidRequestError(
        'INVALID_IDEMPOTENCY_KEY',
        'Idempotency-Key must be 1 to 200 visible ASCII characters',
      );
    }
    const failureBudget = validateFailureBudget(body.failure_budget, this.config.failureBudget);
    const webhookUrl = validateWebhookUrl(body.webhook_url, this.config.webhooks.allowedHosts);
    // What the caller asked for, not the defaults: a replay is the same request whatever the
    // configuration is now. Bodies without the optional fields hash as they always did.
    const options = body.failure_budget != null || webhookUrl ? [body.failure_budget ?? null, webhookUrl ?? null] : [];
    const requestHash = createHash('sha256')
      .update(JSON.stringify([body.name, files, ...options]))
      .digest('hex');
    // An admin's program is the admin's own: acting on others' programs never means creating them.
    const userId = caller.userId;
    if (idempotencyKey !== undefined) {
      const replay = await this.programs.findByIdempotencyKey(userId, idempotencyKey);
      if (replay) return this.replay(replay, requestHash);
    }
    const id = newProgramId();
    const created = await this.programs.create({
      id,
      userId,
      name: body.name,
      files,
      idempotencyKey,
      requestHash,
      metadata: ProgramSummaryService.initial(files.length),
      failureBudget,
      webhookUrl,
    });
    if (!created) {
      // A concurrent request with the same key won the insert; answer with its program.
      const winner = await this.programs.findByIdempotencyKey(userId, idempotencyKey!);
      if (!winner) throw new Error('idempotency key conflict without a winning program');
      return this.replay(winner, requestHash);
    }
    this.logger.log({ program_id: id, correlation_id: correlationId, files: files.length }, `program ${id} created`);
    // Any replica's worker takes the files up; this one looks at once.
    this.worker.kick();
    return { program_id: id, status: 'pending', total_files: files.length };
  }

  /**
   * The program as JSON text. metadata_json can hold 2 × FAILED_FILES_INLINE_LIMIT failure records
   * (hundreds of KB); it is spliced in as stored instead of parsed and serialised again per request.
   */
  async getJson(programId: string, caller: Identity): Promise<{ body: Buffer; version: string }> {
    // Pollers ask far more often than a program changes: a small query says whether the body
    // built last time is still current, and only a changed program ships its metadata again.
    const cached = this.bodies.get(programId);
    if (cached) {
      const head = isProgramId(programId) ? await this.versions.add(programId) : undefined;
      if (!head || !(caller.admin || head.user_id === caller.userId)) throw new ProgramNotFoundError();
      if (cached.version === head.version) return cached;
    }
    const row = await this.programs.findOwned(programId, caller, true);
    if (!row) throw new ProgramNotFoundError();
    const summary = JSON.stringify(toSummary(row));
    // Kept as bytes: a 300 KB text would be encoded again for every answer.
    const body = Buffer.from(`${summary.slice(0, -1)},"metadata_json":${row.metadata_text}}`);
    this.bodies.delete(programId);
    this.bodies.set(programId, { version: row.version, body });
    // Oldest first in a Map: drop beyond the bound (bodies can be hundreds of KB each).
    if (this.bodies.size > CACHED_BODIES) this.bodies.delete(this.bodies.keys().next().value!);
    return { body, version: row.version };
  }

  /**
   * The caller's own programs, or with `allUsers` (admins only) everyone's. The cursor holds only
   * the position: the client sends the same `status` and `all_users` again with it.
   */
  async list(
    caller: Identity,
    limit: number,
    cursor?: string,
    status?: ProgramStatus,
    allUsers = false,
  ): Promise<Page<ProgramListItemDto>> {
    if (allUsers && !caller.admin) throw new AdminRequiredError("every user's program list (all_users=true)");
    const after = decodeCursor(cursor, isListCursor);
    const rows = await this.programs.listOwned(allUsers ? undefined : caller.userId, limit + 1, after, status);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toListItem),
      next_cursor: rows.length > limit && last ? encodeCursor({ c: last.created_at_us, i: last.id }) : null,
    };
  }

  async failures(
    programId: string,
    caller: Identity,
    stage: FailureStage | undefined,
    limit: number,
    cursor?: string,
    errorCode?: string,
  ): Promise<Page<Record<string, unknown>>> {
    if (!(await this.programs.findOwned(programId, caller, false))) throw new ProgramNotFoundError();
    const rows = await this.files.failures(programId, stage, indexAfter(cursor), limit + 1, errorCode);
    const bucket = this.config.s3.bucket;
    return pageBySourceIndex(rows, limit, (r) => ({
      stage: r.stage,
      ...(r.stage === 'preprocessing' ? toPreprocessingRecord(r) : toDocumentRecord(r, programId, bucket)),
    }));
  }

  async failureCounts(programId: string, caller: Identity): Promise<FailureCountsDto> {
    if (!(await this.programs.findOwned(programId, caller, false))) throw new ProgramNotFoundError();
    return { items: await this.files.failureCounts(programId) };
  }

  fileStory(programId: string, caller: Identity, sourceIndex: number): Promise<FileStoryDto> {
    return this.story.read(programId, caller, sourceIndex);
  }

  exportFailures(
    programId: string,
    caller: Identity,
    format: ExportFormat,
    stage: FailureStage | undefined,
  ): Promise<FailureExportStream> {
    return this.export.open(programId, caller, format, stage);
  }

  private replay(existing: ProgramRow, requestHash: string): ProgramAcceptedDto {
    if (existing.request_hash !== requestHash) throw new IdempotencyConflictError();
    return { program_id: existing.id, status: existing.status, total_files: existing.total_files };
  }
}

function toSummary(r: ProgramRow): ProgramSummaryDto {
  return {
    program_id: r.id,
    user_id: r.user_id,
    name: r.name,
    status: r.status,
    total_files: r.total_files,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

function toListItem(r: ProgramListRow): ProgramListItemDto {
  return { ...toSummary(r), counts: { done: r.done, failed: r.failed, pending: r.total_files - r.done - r.failed } };
}
