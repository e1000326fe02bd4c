import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { GroupCommit } from '../common/group-commit';
import { isConnectionError, isoUtc } from '../database/sql';

const values = (d: NewDocument): unknown[] => [
  d.id,
  d.programId,
  d.sourceIndex,
  d.sourceFilePath,
  d.s3Path,
  d.title,
  d.contentType,
  d.characters,
  d.chunkCount,
  d.sha256,
];

export interface NewDocument {
  id: string;
  programId: string;
  sourceIndex: number;
  sourceFilePath: string;
  s3Path: string;
  title: string;
  contentType: string;
  characters: number;
  chunkCount: number;
  sha256: string;
}

export interface DocumentRow {
  document_id: string;
  program_id: string;
  source_index: number;
  source_file_path: string;
  s3_path: string;
  title: string;
  content_type: string;
  characters: number;
  chunk_count: number;
  sha256: string;
  created_at: string;
}

type InsertOutcome = { ok: true; id: string; created: boolean } | { ok: false; error: unknown };

const COLUMNS = 10;

@Injectable()
export class DocumentsRepository {
  // Documents of files finishing together are inserted by one statement.
  private readonly inserts = new GroupCommit<NewDocument, InsertOutcome>((batch) => this.insertBatch(batch));

  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts the Document unless the file already has one (the unique key decides, so a redo after a
   * crash, or two workers racing, can never make a second). Returns the id of the one that exists.
   */
  async insertOnce(d: NewDocument): Promise<{ id: string; created: boolean }> {
    const outcome = await this.inserts.add(d);
    if (!outcome.ok) throw outcome.error;
    return { id: outcome.id, created: outcome.created };
  }

  private async insertBatch(batch: NewDocument[]): Promise<InsertOutcome[]> {
    if (batch.length === 1) return [await this.insertOne(batch[0]).catch((error: unknown) => this.failed(error))];
    let inserted: { program_id: string; source_index: number; id: string }[];
    try {
      inserted = await this.em.execute(
        `INSERT INTO documents (id, program_id, source_index, source_file_path, s3_path, title, content_type,
           characters, chunk_count, sha256)
         VALUES ${batch.map(() => `(${Array(COLUMNS).fill('?').join(', ')})`).join(', ')}
         ON CONFLICT (program_id, source_index) DO NOTHING RETURNING program_id, source_index, id`,
        batch.flatMap(values),
      );
    } catch (e) {
      if (isConnectionError(e)) throw e;
      // One bad row fails the statement: insert one by one so that it fails alone.
      return Promise.all(batch.map((d) => this.insertOne(d).catch((error: unknown) => this.failed(error))));
    }
    const created = new Map(inserted.map((r) => [`${r.program_id}:${r.source_index}`, r.id]));
    return Promise.all(
      batch.map(async (d): Promise<InsertOutcome> => {
        const id = created.get(`${d.programId}:${d.sourceIndex}`);
        if (id) return { ok: true, id, created: true };
        return { ok: true, id: await this.existingId(d), created: false };
      }),
    );
  }

  private failed(error: unknown): InsertOutcome {
    if (isConnectionError(error)) throw error;
    return { ok: false, error };
  }

  private async insertOne(d: NewDocument): Promise<InsertOutcome> {
    const rows = await this.em.execute<{ id: string }[]>(
      `INSERT INTO documents (id, program_id, source_index, source_file_path, s3_path, title, content_type,
         characters, chunk_count, sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (program_id, source_index) DO NOTHING RETURNING id`,
      values(d),
    );
    if (rows.length > 0) return { ok: true, id: rows[0].id, created: true };
    return { ok: true, id: await this.existingId(d), created: false };
  }

  private async existingId(d: NewDocument): Promise<string> {
    const existing = await this.em.execute<{ id: string }[]>(
      'SELECT id FROM documents WHERE program_id = ? AND source_index = ?',
      [d.programId, d.sourceIndex],
    );
    if (existing.length === 0) throw new Error(`document of ${d.programId}/${d.sourceIndex} vanished after a conflict`);
    return existing[0].id;
  }

  async page(programId: string, afterIndex: number, limit: number): Promise<DocumentRow[]> {
    return this.em.execute<DocumentRow[]>(
      `SELECT id AS document_id, program_id, source_index, source_file_path, s3_path, title, content_type,
         characters, chunk_count, sha256, ${isoUtc('created_at')} AS created_at
       FROM documents WHERE program_id = ? AND source_index > ? ORDER BY source_index LIMIT ?`,
      [programId, afterIndex, limit],
    );
  }
}
