import type { Client } from 'pg';

/**
 * Real database-side faults for Document storage: a trigger on `documents` that refuses or slows
 * inserts. Nothing is mocked; the app meets a genuine PostgreSQL error or delay.
 */
export async function blockDocuments(db: Client, predicate: string): Promise<void> {
  await db.query(`
    CREATE OR REPLACE FUNCTION test_block_documents() RETURNS trigger AS $$
    BEGIN
      IF ${predicate} THEN RAISE EXCEPTION 'document refused by test trigger'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await db.query('DROP TRIGGER IF EXISTS test_block_documents ON documents');
  await db.query(`CREATE TRIGGER test_block_documents BEFORE INSERT ON documents
                  FOR EACH ROW EXECUTE FUNCTION test_block_documents()`);
}

export async function slowDocuments(db: Client, seconds: number): Promise<void> {
  await db.query(`
    CREATE OR REPLACE FUNCTION test_slow_documents() RETURNS trigger AS $$
    BEGIN PERFORM pg_sleep(${Number(seconds)}); RETURN NEW; END $$ LANGUAGE plpgsql`);
  await db.query('DROP TRIGGER IF EXISTS test_slow_documents ON documents');
  await db.query(`CREATE TRIGGER test_slow_documents BEFORE INSERT ON documents
                  FOR EACH ROW EXECUTE FUNCTION test_slow_documents()`);
}

export async function clearDocumentFaults(db: Client): Promise<void> {
  await db.query('DROP TRIGGER IF EXISTS test_block_documents ON documents');
  await db.query('DROP TRIGGER IF EXISTS test_slow_documents ON documents');
}

/** True when nobody holds the program's row lock (tried the way a manual retry tries it). */
export async function programLockIsFree(db: Client, programId: string): Promise<boolean> {
  await db.query('BEGIN');
  try {
    await db.query('SELECT id FROM programs WHERE id = $1 FOR NO KEY UPDATE NOWAIT', [programId]);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === '55P03') return false;
    throw e;
  } finally {
    await db.query('ROLLBACK');
  }
}
