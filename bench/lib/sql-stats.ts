/**
 * Counting the SQL the service runs. With pg_stat_statements (preloaded on the benchmark's own
 * server) every statement of the service's role on the scenario's database is counted at once,
 * BEGIN/COMMIT included; without it, committed + rolled-back transactions of the database
 * (pg_stat_database, flushed asynchronously) are the fallback.
 */
import { Client } from 'pg';
import { SERVICE_ROLE } from './servers';

export interface StatementCount {
  query: string;
  calls: number;
  rows: number;
  ms: number;
}

export interface Snapshot {
  kind: 'pg_stat_statements' | 'xact';
  at: number;
  statements: Map<string, StatementCount>;
  xacts: number;
}

export interface SqlDelta {
  kind: Snapshot['kind'];
  /** Statements (or transactions, for kind xact) between the two snapshots. */
  total: number;
  /** UPDATEs of program_states that write metadata_json (pg_stat_statements only). */
  metadataWriteCalls: number | null;
  /** Statements by kind, most frequent first. */
  top: StatementCount[];
}

// The summary write: UPDATE program_states SET metadata_json = … (whatever else it sets).
const METADATA_WRITE = /^\s*update\s+"?program_states"?\s+set\b[\s\S]*\bmetadata_json\b/i;

export class SqlStats {
  constructor(
    private readonly admin: Client,
    readonly statStatements: boolean,
  ) {}

  async snapshot(database: string): Promise<Snapshot> {
    const statements = new Map<string, StatementCount>();
    if (this.statStatements) {
      const res = await this.admin.query<{ queryid: string; query: string; calls: string; rows: string; ms: number }>(
        `SELECT s.queryid::text AS queryid, s.query, s.calls::text AS calls, s.rows::text AS rows,
                s.total_exec_time AS ms
         FROM pg_stat_statements s
         WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = $1)
           AND s.userid = (SELECT oid FROM pg_roles WHERE rolname = $2)`,
        [database, SERVICE_ROLE],
      );
      for (const r of res.rows) {
        const prev = statements.get(r.queryid);
        const calls = Number(r.calls) + (prev?.calls ?? 0);
        statements.set(r.queryid, {
          query: r.query,
          calls,
          rows: Number(r.rows) + (prev?.rows ?? 0),
          ms: r.ms + (prev?.ms ?? 0),
        });
      }
    }
    const x = await this.admin.query<{ n: string }>(
      `SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1`,
      [database],
    );
    return {
      kind: this.statStatements ? 'pg_stat_statements' : 'xact',
      at: Date.now(),
      statements,
      xacts: Number(x.rows[0]?.n ?? 0),
    };
  }

  static delta(a: Snapshot, b: Snapshot): SqlDelta {
    if (a.kind === 'xact') {
      return { kind: 'xact', total: b.xacts - a.xacts, metadataWriteCalls: null, top: [] };
    }
    // Multi-row statements get one queryid per row count: group them by their normalised opening.
    const groups = new Map<string, StatementCount>();
    let total = 0;
    let metadata = 0;
    for (const [id, s] of b.statements) {
      const p = a.statements.get(id);
      const calls = s.calls - (p?.calls ?? 0);
      if (calls <= 0) continue;
      total += calls;
      if (METADATA_WRITE.test(s.query)) metadata += calls;
      const key = groupKey(s.query);
      const g = groups.get(key) ?? { query: oneLine(s.query), calls: 0, rows: 0, ms: 0 };
      g.calls += calls;
      g.rows += s.rows - (p?.rows ?? 0);
      g.ms += s.ms - (p?.ms ?? 0);
      groups.set(key, g);
    }
    const top = [...groups.values()].sort((x, y) => y.calls - x.calls);
    return { kind: 'pg_stat_statements', total, metadataWriteCalls: metadata, top };
  }
}

function groupKey(q: string): string {
  return q.replace(/\s+/g, ' ').replace(/\$\d+/g, '$').trim().slice(0, 120);
}

function oneLine(q: string): string {
  const s = q.replace(/\s+/g, ' ').trim();
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** Row updates of program_states seen by the statistics collector (read after the service exits, so flushed). */
export async function programStatesUpdates(url: string): Promise<number | null> {
  const c = new Client({ connectionString: url });
  try {
    await c.connect();
    const r = await c.query<{ n: string }>(
      `SELECT n_tup_upd::text AS n FROM pg_stat_user_tables WHERE relname = 'program_states'`,
    );
    return r.rows[0] ? Number(r.rows[0].n) : null;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}
