import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { GroupCommit } from '../common/group-commit';
import { heldUnderEpoch } from '../database/fencing';
import { PreparedStatement } from '../database/prepared';
import { isConnectionError } from '../database/sql';
import type { ProcessedFileSummary } from '../events/catalogue';
import { Document } from './entities/document.entity';

export interface NewDocument extends ProcessedFileSummary {
  id: string;
  programId: string;
  sourceIndex: number;
  sourceFilePath: string;
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

type InsertOutcome = { ok: true; stored?: { id: string; created: boolean } } | { ok: false; error: unknown };

interface CopyLookup {
  programId: string;
  sha256: string;
  sourceIndex: number;
}

interface FencedDocument {
  doc: NewDocument;
  epoch: string;
}

// The fenced insert of a batch of Documents, one array per column (src/database/prepared.ts).
const INSERT_FENCED = new PreparedStatement<{
  program_id: string;
  source_index: number;
  id: string | null;
  created: boolean;
}>(
  'documents_insert_fenced_v1',
  `WITH v AS (
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
                          $9::int[], $10::text[], $11::bigint[])
       AS v (id, program_id, source_index, source_file_path, s3_path, title, content_type, characters, chunk_count,
             sha256, epoch)),
   held AS (
     SELECT v.* FROM v JOIN program_files f ON f.program_id = v.program_id AND f.source_index = v.source_index
     WHERE ${heldUnderEpoch('f', 'v.epoch')}
     -- Locked in (program, index) order, as every multi-row locker of program_files does: no deadlock.
     ORDER BY v.program_id, v.source_index FOR SHARE OF f),
   ins AS (
     INSERT INTO documents (id, program_id, source_index, source_file_path, s3_path, title, content_type,
       characters, chunk_count, sha256)
     SELECT id, program_id, source_index, source_file_path, s3_path, title, content_type, characters, chunk_count,
       sha256 FROM held
     ON CONFLICT (program_id, source_index) DO NOTHING RETURNING program_id, source_index, id)
   SELECT h.program_id, h.source_index, COALESCE(ins.id, d.id) AS id, ins.id IS NOT NULL AS created
   FROM held h
   LEFT JOIN ins ON ins.program_id = h.program_id AND ins.source_index = h.source_index
   LEFT JOIN documents d ON d.program_id = h.program_id AND d.source_index = h.source_index`,
);

const columns = (batch: FencedDocument[]): unknown[] => [
  batch.map((b) => b.doc.id),
  batch.map((b) => b.doc.programId),
  batch.map((b) => b.doc.sourceIndex),
  batch.map((b) => b.doc.sourceFilePath),
  batch.map((b) => b.doc.s3Path),
  batch.map((b) => b.doc.title),
  batch.map((b) => b.doc.contentType),
  batch.map((b) => b.doc.characters),
  batch.map((b) => b.doc.chunkCount),
  batch.map((b) => b.doc.sha256),
  batch.map((b) => b.epoch),
];

// Another Document of the program with the same bytes, for each (program, sha256, index) asked.
const PROCESSED_COPIES = new PreparedStatement<{ i: number; s3_path: string }>(
  'documents_processed_copies_v1',
  `SELECT v.i::int AS i, c.s3_path
   FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS v (program_id, sha256, source_index, i)
   CROSS JOIN LATERAL (
     SELECT d.s3_path FROM documents d
     WHERE d.program_id = v.program_id AND d.sha256 = v.sha256 AND d.source_index <> v.source_index
     LIMIT 1) c`,
);

@Injectable()
export class DocumentsRepository {
  // Documents of files finishing together are inserted by one statement.
  private readonly inserts = new GroupCommit<FencedDocument, InsertOutcome>((batch) => this.insertBatch(batch));
  private readonly copies = new GroupCommit<CopyLookup, string | undefined>((batch) => this.processedCopies(batch));

  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts the file's Document if the writer still holds the file under `epoch` (the fencing rule,
   * src/database/fencing.ts: the row is share-locked for the insert, so no claim can move the epoch
   * in between) and the file has none yet (the unique key: a redo after a crash, or a writer racing
   * a stale one, never makes a second). Returns the Document that exists, or undefined when fenced.
   */
  async insertFenced(d: NewDocument, epoch: string): Promise<{ id: string; created: boolean } | undefined> {
    const outcome = await this.inserts.add({ doc: d, epoch });
    if (!outcome.ok) throw outcome.error;
    return outcome.stored;
  }

  private async insertBatch(batch: FencedDocument[]): Promise<InsertOutcome[]> {
    try {
      return await this.insertMany(batch);
    } catch (e) {
      if (isConnectionError(e) || batch.length === 1) return batch.map(() => this.failed(e));
      // One bad row fails the statement: insert one by one so that it fails alone.
      return Promise.all(
        batch.map((d) =>
          this.insertMany([d]).then(
            (r) => r[0],
            (error: unknown) => this.failed(error),
          ),
        ),
      );
    }
  }

  private async insertMany(batch: FencedDocument[]): Promise<InsertOutcome[]> {
    const rows = await INSERT_FENCED.run(this.em, columns(batch));
    const byFile = new Map(rows.map((r) => [`${r.program_id}:${r.source_index}`, r]));
    return Promise.all(
      batch.map(async ({ doc }): Promise<InsertOutcome> => {
        const r = byFile.get(`${doc.programId}:${doc.sourceIndex}`);
        if (!r) return { ok: true };
        // A Document another writer committed after this statement began: there, but not in its snapshot.
        const id = r.id ?? (await this.existingId(doc));
        return { ok: true, stored: { id, created: r.created } };
      }),
    );
  }

  private failed(error: unknown): InsertOutcome {
    if (isConnectionError(error)) throw error;
    return { ok: false, error };
  }

  private async existingId(d: NewDocument): Promise<string> {
    const existing = await this.ofFile(d.programId, d.sourceIndex);
    if (!existing) throw new Error(`document of ${d.programId}/${d.sourceIndex} vanished after a conflict`);
    return existing.id;
  }

  /**
   * The processed JSON of another Document of the program made from the same bytes, if any. Asked
   * for every file on the hot path, so the look-ups of files arriving together share one statement.
   */
  processedCopy(programId: string, sha256: string, sourceIndex: number): Promise<string | undefined> {
    return this.copies.add({ programId, sha256, sourceIndex });
  }

  private async processedCopies(batch: CopyLookup[]): Promise<(string | undefined)[]> {
    const rows = await PROCESSED_COPIES.run(this.em, [
      batch.map((q) => q.programId),
      batch.map((q) => q.sha256),
      batch.map((q) => q.sourceIndex),
    ]);
    const found = new Map(rows.map((r) => [r.i, r.s3_path]));
    return batch.map((_, i) => found.get(i + 1));
  }

  /** The file's Document, if it has one. */
  async ofFile(programId: string, sourceIndex: number): Promise<{ id: string; s3Path: string } | undefined> {
    const doc = await this.em.fork().findOne(Document, { programId, sourceIndex }, { fields: ['id', 's3Path'] });
    return doc ? { id: doc.id, s3Path: doc.s3Path } : undefined;
  }

  /** A page of the program's Documents in source order (keyset on source_index). */
  async page(programId: string, afterIndex: number, limit: number): Promise<DocumentRow[]> {
    const docs = await this.em
      .fork()
      .find(Document, { programId, sourceIndex: { $gt: afterIndex } }, { orderBy: { sourceIndex: 'asc' }, limit });
    return docs.map((d) => ({
      document_id: d.id,
      program_id: d.programId,
      source_index: d.sourceIndex,
      source_file_path: d.sourceFilePath,
      s3_path: d.s3Path,
      title: d.title,
      content_type: d.contentType,
      characters: d.characters,
      chunk_count: d.chunkCount,
      sha256: d.sha256,
      created_at: d.createdAt.toISOString(),
    }));
  }
}
