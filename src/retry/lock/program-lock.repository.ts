import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { lockConnections } from '../../database/connection-budget';
import { databaseConnection } from '../../database/connection-options';
import { RetryCapacityError } from '../errors/retry.errors';

/**
 * Held while a program is worked on: the row lock lives in an open transaction on a connection of
 * its own (see docs/locking.md). `signal` aborts when the lock is lost, so the holder stops
 * dispatching work it no longer owns.
 */
export interface ProgramLease {
  readonly programId: string;
  readonly signal: AbortSignal;
  release(): Promise<void>;
}

export type LockMode = 'nowait' | 'skip-locked';

// PostgreSQL ends a session idle in its transaction this long: a holder whose event loop hangs
// loses the lock instead of keeping it forever. The heartbeat keeps a live holder well inside it.
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 20_000;
const HEARTBEAT_MS = 5_000;
// A heartbeat unanswered this long means the connection (or the server) is gone or stalled: the
// holder stops at once rather than work on under a lock it may no longer have.
const HEARTBEAT_DEADLINE_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;
const LOCK_NOT_AVAILABLE = '55P03';
// As RunRetry's own capacity refusal: a retry usually takes seconds.
const RETRY_AFTER_SECONDS = 2;

@Injectable()
export class ProgramLockRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(ProgramLockRepository.name);
  private readonly pool: Pool;
  private readonly slots: LockSlots;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (!config.databaseUrl) throw new Error('databaseUrl must be resolved before the lock pool is built');
    // One connection per lock held (scheduled retries, manual retries, the sweep for interrupted
    // runs), out of the replica's DB_POOL_MAX: see connection-budget.ts.
    this.slots = new LockSlots(
      lockConnections(config.db.poolMax, {
        programsInParallel: config.programsInParallel,
        maxConcurrentRetries: config.retry.maxConcurrentManual,
      }),
    );
    this.pool = new Pool({
      ...databaseConnection(config.databaseUrl).options,
      max: this.slots.size,
      keepAlive: true,
      // The same name as the ORM's connections: one replica's connections are counted together.
      application_name: 'batch-ingest',
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      statement_timeout: config.db.statementTimeoutMs,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // An idle pooled client whose server went away must not crash the process.
    this.pool.on('error', (e) => this.logger.warn(`lock pool connection lost: ${e.message}`));
  }

  /**
   * FOR NO KEY UPDATE rather than FOR UPDATE: it excludes every other holder just the same, but not
   * the key-share locks that inserting a Document (a foreign key to the program) takes, which the
   * holder's own workers need. Null when someone else holds the lock (or, with skip-locked, when the
   * row does not exist). When every lock connection of this replica holds a lock, nothing waits for
   * one: skip-locked answers null (the scheduler and the sweep come back next round), nowait throws
   * RetryCapacityError (429).
   */
  async tryAcquire(programId: string, mode: LockMode): Promise<ProgramLease | null> {
    if (!(await this.slots.take())) {
      this.logger.debug(`no lock connection free for ${programId}: all ${this.slots.size} hold a lock`);
      if (mode === 'skip-locked') return null;
      throw new RetryCapacityError(this.slots.size, RETRY_AFTER_SECONDS);
    }
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      this.slots.give();
      throw e;
    }
    // From connect to release a checked-out client has no pool listener: an 'error' event without
    // one (the server resets the connection during BEGIN or ROLLBACK) would crash the process.
    const errors = new ConnectionErrors(client);
    try {
      await client.query('BEGIN');
      const res = await client.query(
        `SELECT id FROM programs WHERE id = $1 FOR NO KEY UPDATE ${mode === 'nowait' ? 'NOWAIT' : 'SKIP LOCKED'}`,
        [programId],
      );
      if (res.rowCount === 0) {
        await this.end(client, errors);
        return null;
      }
    } catch (e) {
      if ((e as { code?: string }).code === LOCK_NOT_AVAILABLE) {
        await this.end(client, errors);
        return null;
      }
      errors.detachAfter(() => this.giveBack(client, e as Error));
      throw e;
    }
    return this.lease(programId, client, errors);
  }

  /** Ends the lock transaction and hands the connection back (or drops it when the session is gone). */
  private async end(client: PoolClient, errors: ConnectionErrors): Promise<void> {
    try {
      // Nothing was written in this transaction: it only ever held the lock.
      await client.query('ROLLBACK');
      errors.detachAfter(() => this.giveBack(client));
    } catch (e) {
      // The session is gone, and the lock with it; drop the connection from the pool.
      errors.detachAfter(() => this.giveBack(client, e as Error));
    }
  }

  /** Back to the pool (or dropped, given an error), and its slot to whoever waits for one. */
  private giveBack(client: PoolClient, dropBecause?: Error): void {
    try {
      client.release(dropBecause);
    } finally {
      this.slots.give();
    }
  }

  private lease(programId: string, client: PoolClient, errors: ConnectionErrors): ProgramLease {
    const controller = new AbortController();
    let released = false;
    this.slots.hold();
    const lose = (reason: string) => {
      if (controller.signal.aborted) return;
      this.logger.warn(`lock on ${programId} lost: ${reason}`);
      controller.abort(new Error(`lock lost: ${reason}`));
    };
    errors.onError = (e) => lose(e.message);
    const heartbeat = setInterval(() => {
      const deadline = setTimeout(() => {
        lose(`heartbeat unanswered after ${HEARTBEAT_DEADLINE_MS} ms`);
        // Close the socket now: if the server can still see it, it ends the session and frees the row.
        destroyConnection(client);
      }, HEARTBEAT_DEADLINE_MS);
      client.query('SELECT 1').then(
        () => clearTimeout(deadline),
        (e: Error) => {
          clearTimeout(deadline);
          lose(e.message);
        },
      );
    }, HEARTBEAT_MS);
    heartbeat.unref();

    return {
      programId,
      signal: controller.signal,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        this.slots.unhold();
        if (controller.signal.aborted) {
          // A lost lock's session is not trusted again: drop the connection rather than reuse it.
          errors.detachAfter(() => this.giveBack(client, new Error('lock lost')));
          return;
        }
        await this.end(client, errors);
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.slots.close();
    await this.pool.end();
  }
}

/**
 * Admission to the lock connections. A connection in use is either taking a lock (BEGIN, one
 * SELECT, perhaps ROLLBACK: milliseconds) or holding one (for as long as a retry runs). Waiting for
 * one of the first kind is short, so a caller waits; once every connection holds a lock none will
 * come back soon, so callers are turned away at once instead of queueing behind long retries.
 */
class LockSlots {
  private inUse = 0;
  private holding = 0;
  private readonly waiting: Array<(granted: boolean) => void> = [];

  constructor(readonly size: number) {}

  /** True with a slot taken; false when every slot holds a lock (now, or before one came free). */
  take(): Promise<boolean> {
    if (this.holding >= this.size) return Promise.resolve(false);
    if (this.inUse < this.size) {
      this.inUse++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** A slot's connection is back: it passes straight to the first waiter, if any. */
  give(): void {
    const next = this.waiting.shift();
    if (next) next(true);
    else this.inUse--;
  }

  hold(): void {
    this.holding++;
    if (this.holding >= this.size) this.refuseWaiting();
  }

  unhold(): void {
    this.holding--;
  }

  close(): void {
    this.refuseWaiting();
  }

  private refuseWaiting(): void {
    for (const waiter of this.waiting.splice(0)) waiter(false);
  }
}

/** Keeps an 'error' listener on a checked-out client for exactly as long as it is checked out. */
class ConnectionErrors {
  onError: (e: Error) => void = () => undefined;
  private readonly listener = (e: Error) => this.onError(e);

  constructor(private readonly client: PoolClient) {
    client.on('error', this.listener);
  }

  /** Runs the release, then removes the listener: the pool's own idle listener takes over. */
  detachAfter(release: () => void): void {
    try {
      release();
    } finally {
      this.client.off('error', this.listener);
    }
  }
}

function destroyConnection(client: PoolClient): void {
  // pg exposes no public way to drop a busy connection; its socket is the one thing that ends it.
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
