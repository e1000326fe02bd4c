/**
 * The committed migrations define the schema; the entities must describe exactly that schema, so
 * the ORM's own diff of a freshly migrated database is empty. The diff has blind spots: it maps
 * json and jsonb (and timestamp and timestamptz) to one type, and compares expression/partial
 * indexes by name only. Two further checks cover those: column types as PostgreSQL names them,
 * and index definitions as PostgreSQL prints them back.
 */
import { ReferenceKind } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { Logger } from '@nestjs/common';
import { ApiKey } from '../../src/auth/entities/api-key.entity';
import { migrate } from '../../src/database/migrate';
import { ormConfig } from '../../src/database/orm.config';
import { Document } from '../../src/documents/entities/document.entity';
import { FileAttempt } from '../../src/programs/entities/file-attempt.entity';
import { ProgramFile } from '../../src/programs/entities/program-file.entity';
import { ProgramState } from '../../src/programs/entities/program-state.entity';
import { Program } from '../../src/programs/entities/program.entity';
import { RetryRun } from '../../src/retry/entities/retry-run.entity';
import { createTestDatabase } from '../support/test-app';

interface MigratedDatabase {
  orm: MikroORM;
  close(): Promise<void>;
}

/** A fresh database with every committed migration applied, and the app's ORM on it. */
async function migratedDatabase(): Promise<MigratedDatabase> {
  const db = await createTestDatabase();
  try {
    await migrate(db.url);
    const orm = await MikroORM.init(ormConfig(db.url, { statementTimeoutMs: 30_000 }));
    return {
      orm,
      close: async () => {
        await orm.close(true);
        await db.drop();
      },
    };
  } catch (e) {
    await db.drop();
    throw e;
  }
}

/** The SQL that would make the database match the entities ('' when they agree). */
async function schemaDiff(orm: MikroORM): Promise<string> {
  return (await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })).trim();
}

function entityMetadata(orm: MikroORM) {
  return Object.values(orm.getMetadata().getAll()).filter((m) => !m.embeddable && !m.virtual && !m.abstract);
}

// Spellings of one PostgreSQL type, as entities declare them and as udt_name reports them.
const TYPE_NAMES: Record<string, string> = {
  int: 'int4',
  integer: 'int4',
  bigint: 'int8',
  bigserial: 'int8',
  boolean: 'bool',
  'timestamp with time zone': 'timestamptz',
  'timestamp without time zone': 'timestamp',
};
const typeName = (t: string): string => {
  const base = t
    .toLowerCase()
    .replace(/\(.*\)$/, '')
    .trim();
  return TYPE_NAMES[base] ?? base;
};

/** `table.column: entity X, database Y` for every mapped column whose type differs. */
async function columnTypeMismatches(orm: MikroORM): Promise<string[]> {
  const rows = await orm.em
    .getConnection()
    .execute<{ table_name: string; column_name: string; udt_name: string }[]>(
      `SELECT table_name, column_name, udt_name FROM information_schema.columns WHERE table_schema = 'public'`,
    );
  const actual = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r.udt_name]));
  const out: string[] = [];
  for (const meta of entityMetadata(orm)) {
    for (const prop of meta.props) {
      const owning =
        prop.kind === ReferenceKind.SCALAR ||
        prop.kind === ReferenceKind.MANY_TO_ONE ||
        (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner);
      if (!owning || prop.persist === false || !prop.fieldNames || !prop.columnTypes) continue;
      prop.fieldNames.forEach((field, i) => {
        const key = `${meta.tableName}.${field}`;
        const declared = typeName(prop.columnTypes[i]);
        const found = actual.get(key);
        if (found === undefined) out.push(`${key}: entity ${declared}, database has no such column`);
        else if (typeName(found) !== declared) out.push(`${key}: entity ${declared}, database ${typeName(found)}`);
      });
    }
  }
  return out.sort();
}

/** Every index an entity defines by expression, against pg_get_indexdef (schema left out). */
async function indexDefinitionMismatches(orm: MikroORM): Promise<string[]> {
  const rows = await orm.em.getConnection().execute<{ name: string; def: string }[]>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_namespace n ON n.oid = i.relnamespace
      WHERE n.nspname = 'public'`,
  );
  const actual = new Map(rows.map((r) => [r.name, r.def.replace(' ON public.', ' ON ')]));
  const out: string[] = [];
  for (const meta of entityMetadata(orm)) {
    for (const index of [...meta.indexes, ...meta.uniques]) {
      if (typeof index.expression !== 'string' || !index.name) continue;
      const found = actual.get(index.name);
      if (found !== index.expression) {
        out.push(`${index.name}:\n  entity   ${index.expression}\n  database ${found ?? '(none)'}`);
      }
    }
  }
  return out.sort();
}

// The migrator and the ORM log through Nest's logger; only trouble is worth reading here.
Logger.overrideLogger(['error', 'warn']);

describe('schema drift: entities describe what the migrations make', () => {
  let t: MigratedDatabase;

  beforeAll(async () => {
    t = await migratedDatabase();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('the ORM schema diff after migrating is empty', async () => {
    const sql = await schemaDiff(t.orm);
    if (sql !== '') {
      throw new Error(
        'the entities and the migrations disagree. SQL that would make the database match the entities:\n\n' +
          `${sql}\n\nFix the entity, or add a migration (npm run build && DATABASE_URL=… npm run migration:create) ` +
          'and list it in src/database/orm.config.ts.',
      );
    }
  });

  it('every column has the type its entity declares (json vs jsonb included)', async () => {
    expect(await columnTypeMismatches(t.orm)).toEqual([]);
  });

  it('every expression or partial index is defined as its entity says', async () => {
    expect(await indexDefinitionMismatches(t.orm)).toEqual([]);
  });

  it('the entities write and read every table through the ORM', async () => {
    const em = t.orm.em.fork();
    em.create(Program, { id: 'p1', userId: 'u1', name: 'drift', totalFiles: 1 });
    em.create(ProgramState, { programId: 'p1', status: 'pending', metadataJson: {} as ProgramState['metadataJson'] });
    const file = em.create(ProgramFile, { programId: 'p1', sourceIndex: 0, sourceFilePath: 'in/a.txt' });
    em.create(FileAttempt, {
      file,
      attempt: 1,
      trigger: 'initial',
      entryStage: 'preprocessing',
      stage: 'document',
      outcome: 'succeeded',
      startedAt: new Date(),
    });
    em.create(Document, {
      id: 'd1',
      programId: 'p1',
      sourceIndex: 0,
      sourceFilePath: 'in/a.txt',
      s3Path: 'out/a.json',
      title: 'a',
      contentType: 'text/plain',
      characters: 1,
      chunkCount: 1,
      sha256: '0'.repeat(64),
    });
    const zero = { retried: 0, success: 0, failed: 0 };
    const run = em.create(RetryRun, {
      programId: 'p1',
      retryType: 'all',
      trigger: 'manual',
      results: { preprocessing: zero, document: zero },
    });
    em.create(ApiKey, { keyId: '0123456789abcdef', userId: 'u1', secretSha256: Buffer.alloc(32, 7) });
    await em.flush();
    expect(run.id).toBe('1');
    expect(run.status).toBe('finished');

    const read = t.orm.em.fork();
    const stored = await read.findOneOrFail(ProgramFile, { programId: 'p1', sourceIndex: 0 });
    expect(stored).toMatchObject({ state: 'pending', epoch: '0', attempts: 0, retryCount: 0, exhausted: false });
    const [attempt] = await read.find(FileAttempt, { file: { programId: 'p1' } });
    expect(attempt).toMatchObject({ attempt: 1, outcome: 'succeeded' });
    expect(attempt.finishedAt).toBeInstanceOf(Date);
    const [storedRun] = await read.find(RetryRun, { programId: 'p1' });
    expect(storedRun.results).toEqual({ preprocessing: zero, document: zero });
    const key = await read.findOneOrFail(ApiKey, { keyId: '0123456789abcdef' });
    expect(key).toMatchObject({ userId: 'u1', admin: false, revokedAt: null });
    expect(Buffer.compare(key.secretSha256, Buffer.alloc(32, 7))).toBe(0);
    expect(key.createdAt).toBeInstanceOf(Date);
  });
});

describe('schema drift: the checks fail when the database drifts', () => {
  let t: MigratedDatabase;

  beforeAll(async () => {
    t = await migratedDatabase();
    const conn = t.orm.em.getConnection();
    await conn.execute('ALTER TABLE program_files DROP COLUMN lease_owner');
    await conn.execute('DROP INDEX program_files_run_idx');
    await conn.execute('ALTER TABLE program_states ALTER COLUMN metadata_json TYPE jsonb');
    await conn.execute('DROP INDEX retry_runs_running_idx');
    await conn.execute(`CREATE INDEX retry_runs_running_idx ON retry_runs (program_id) WHERE status = 'finished'`);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('a dropped column and a dropped index make the ORM diff non-empty', async () => {
    const sql = await schemaDiff(t.orm);
    expect(sql).not.toBe('');
    expect(sql).toContain('"lease_owner"');
    expect(sql).toContain('program_files_run_idx');
  });

  it('json turned jsonb, which the ORM diff misses, fails the column-type check', async () => {
    expect(await columnTypeMismatches(t.orm)).toContain('program_states.metadata_json: entity json, database jsonb');
  });

  it('a partial index redefined under its name, which the ORM diff misses, fails the index check', async () => {
    const running = (await indexDefinitionMismatches(t.orm)).filter((m) => m.startsWith('retry_runs_running_idx:'));
    expect(running).toHaveLength(1);
    expect(running[0]).toContain(`WHERE (status = 'finished'::text)`);
  });
});
