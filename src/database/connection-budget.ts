/**
 * DB_POOL_MAX is every connection one replica holds open at once, whatever opens it: the ORM pool
 * (requests, workers, the scheduler's queries) and the program lock connections, each of which a
 * retry (or the sweep for interrupted runs) keeps for as long as it runs. Each gets a fixed share,
 * so together they never exceed it and neither can starve the other:
 *
 *   locks = max(1, floor(DB_POOL_MAX / 4)), and no more than can ever be asked for
 *           (PROGRAMS_IN_PARALLEL + MAX_CONCURRENT_RETRIES + 1 for the sweep);
 *   orm   = DB_POOL_MAX − max(1, floor(DB_POOL_MAX / 4)).
 *
 * A quarter: a lock connection sits idle in its transaction while the retry's files are worked
 * through the ORM pool, so the ORM pool is where the throughput is. A retry that finds every lock
 * connection holding a lock is refused (429 RETRY_CAPACITY; a scheduled one waits for the next
 * round) rather than queued. Migrations run before either pool opens, on at most
 * MIGRATION_CONNECTIONS, which the smallest DB_POOL_MAX (4) covers.
 */
export interface ConnectionBudget {
  /** The ORM pool's max. */
  orm: number;
  /** The most lock connections one replica may hold. */
  locks: number;
}

export function connectionBudget(poolMax: number): ConnectionBudget {
  const locks = Math.max(1, Math.floor(poolMax / 4));
  return { locks, orm: poolMax - locks };
}

/** What a lock pool may hold: its share, or what its users can ask for at most if that is less. */
export function lockConnections(
  poolMax: number,
  askers: { programsInParallel: number; maxConcurrentRetries: number },
): number {
  return Math.min(connectionBudget(poolMax).locks, askers.programsInParallel + askers.maxConcurrentRetries + 1);
}

/** The ORM pool of a one-off run (migrations, their boot check, the MikroORM CLI). */
export const TOOL_ORM_POOL = 2;
/** A migration run: its advisory-lock session and the ORM pool it migrates with. */
export const MIGRATION_CONNECTIONS = 1 + TOOL_ORM_POOL;
