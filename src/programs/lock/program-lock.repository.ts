import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';

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
const LOCK_NOT_AVAILABLE = '55P03';

@Injectable()
export class ProgramLockRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(ProgramLockRepository.name);
  private readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool({
      connectionString: config.databaseUrl,
      max: 64,
      keepAlive: true,
      application_name: 'program-lock',
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      connectionTimeoutMillis: 10_000,
    });
    // An idle pooled client whose server went away must not crash the process.
    this.pool.on('error', (e) => this.logger.warn(`lock pool connection lost: ${e.message}`));
  }

  /**
   * FOR NO KEY UPDATE rather than FOR UPDATE: it excludes every other holder just the same, but not
   * the key-share locks that inserting a Document (a foreign key to the program) takes, which the
   * holder's own workers need. Null when someone else holds the lock (or, with skip-locked, when the row does not exist). */
  async tryAcquire(programId: string, mode: LockMode): Promise<ProgramLease | null> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const res = await client.query(
        `SELECT id FROM programs WHERE id = $1 FOR NO KEY UPDATE ${mode === 'nowait' ? 'NOWAIT' : 'SKIP LOCKED'}`,
        [programId],
      );
      if (res.rowCount === 0) {
        await client.query('ROLLBACK');
        client.release();
        return null;
      }
    } catch (e) {
      if ((e as { code?: string }).code === LOCK_NOT_AVAILABLE) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release();
        return null;
      }
      client.release(e as Error);
      throw e;
    }
    return this.lease(programId, client);
  }

  private lease(programId: string, client: PoolClient): ProgramLease {
    const controller = new AbortController();
    let released = false;
    const lose = (reason: string) => {
      if (controller.signal.aborted) return;
      this.logger.warn(`lock on ${programId} lost: ${reason}`);
      controller.abort(new Error(`lock lost: ${reason}`));
    };
    const onError = (e: Error) => lose(e.message);
    client.on('error', onError);
    const heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((e: Error) => lose(e.message));
    }, HEARTBEAT_MS);
    heartbeat.unref();

    return {
      programId,
      signal: controller.signal,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        client.off('error', onError);
        try {
          // Nothing was written in this transaction: it only ever held the lock.
          await client.query('ROLLBACK');
          client.release();
        } catch (e) {
          // The session is gone, and the lock with it; drop the connection from the pool.
          client.release(e as Error);
        }
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
