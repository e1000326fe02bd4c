import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { isoUtc } from '../database/sql';

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

@Injectable()
export class DocumentsRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts the Document unless the file already has one (the unique key decides, so a redo after a
   * crash, or two workers racing, can never make a second). Returns the id of the one that exists.
   */
  async insertOnce(d: NewDocument): Promise<{ id: string; created: boolean }> {
    const rows = await this.em.execute<{ id: string }[]>(
      `INSERT INTO documents (id, program_id, source_index, source_file_path, s3_path, title, content_type,
         characters, chunk_count, sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (program_id, source_index) DO NOTHING RETURNING id`,
      [d.id, d.programId, d.sourceIndex, d.sourceFilePath, d.s3Path, d.title, d.contentType, d.characters, d.chunkCount, d.sha256],
    );
    if (rows.length > 0) return { id: rows[0].id, created: true };
    const existing = await this.em.execute<{ id: string }[]>(
      'SELECT id FROM documents WHERE program_id = ? AND source_index = ?',
      [d.programId, d.sourceIndex],
    );
    if (existing.length === 0) throw new Error(`document of ${d.programId}/${d.sourceIndex} vanished after a conflict`);
    return { id: existing[0].id, created: false };
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
