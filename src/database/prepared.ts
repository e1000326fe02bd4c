import type { EntityManager } from '@mikro-orm/postgresql';

interface PgConnection {
  query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

interface PoolClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(conn: PgConnection): Promise<unknown>;
}

/**
 * A statement of the per-file hot path, prepared once per connection. The ORM sends every statement
 * as text with its values written in, so PostgreSQL parses and plans each one anew; for the small
 * multi-row writes of the hot path planning was about three quarters of their database time. These
 * statements take one array per column (`unnest`), so their text is the same for any batch size and
 * a connection plans it once. The connection comes from the ORM's pool: the same limits and
 * statement_timeout apply.
 */
export class PreparedStatement<R> {
  constructor(
    private readonly name: string,
    private readonly text: string,
  ) {}

  async run(em: EntityManager, values: unknown[]): Promise<R[]> {
    const client = (em.getKnex() as unknown as { client: PoolClient }).client;
    const conn = await client.acquireConnection();
    try {
      const res = await conn.query({ name: this.name, text: this.text, values });
      return res.rows as R[];
    } finally {
      await client.releaseConnection(conn);
    }
  }
}
