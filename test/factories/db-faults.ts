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
  await db.query('DROP TRIGGER IF EXISTS test_gate_documents ON documents');
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

/**
 * Holds every Document insert until `release()`: the trigger waits for an advisory lock that the
 * test's own connection holds. Work is then in flight for exactly as long as the test says, with no
 * sleep to guess. Call `clearDocumentFaults` afterwards.
 */
export async function gateDocuments(db: Client, key = 4242): Promise<{ release(): Promise<void> }> {
  await db.query('SELECT pg_advisory_lock($1)', [key]);
  await db.query(`
    CREATE OR REPLACE FUNCTION test_gate_documents() RETURNS trigger AS $$
    BEGIN PERFORM pg_advisory_lock(${Number(key)}); PERFORM pg_advisory_unlock(${Number(key)}); RETURN NEW; END $$
    LANGUAGE plpgsql`);
  await db.query('DROP TRIGGER IF EXISTS test_gate_documents ON documents');
  await db.query(`CREATE TRIGGER test_gate_documents BEFORE INSERT ON documents
                  FOR EACH ROW EXECUTE FUNCTION test_gate_documents()`);
  return {
    release: async () => {
      await db.query('SELECT pg_advisory_unlock($1)', [key]);
    },
  };
}

/** How many Document inserts are waiting at the gate right now. */
export async function documentsAtGate(db: Client, key = 4242): Promise<number> {
  const res = await db.query(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1`,
    [key],
  );
  return res.rows[0].n;
}
