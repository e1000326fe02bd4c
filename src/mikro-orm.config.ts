/**
 * Configuration of the MikroORM CLI (package.json "mikro-orm".configPaths points at its build in
 * dist/). The app never loads it: it calls ormConfig() with the URL from its own configuration.
 *
 *   npm run build && DATABASE_URL=postgres://… npm run migration:create [-- --name what_changed]
 *
 * migration:create first migrates that database to the committed migrations, then writes the
 * difference between the entities and the database as a new migration in src/database/migrations
 * (or says no changes are required). A new migration must be added to migrationsList in
 * orm.config.ts by hand.
 */
import { defineConfig } from '@mikro-orm/postgresql';
import { ormConfig } from './database/orm.config';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL must be set for the MikroORM CLI');

const base = ormConfig(databaseUrl, { statementTimeoutMs: 10 * 60_000 });

export default defineConfig({
  ...base,
  migrations: {
    ...base.migrations,
    // Relative to the working directory (the repository root under npm): the new file is source,
    // next to the others, never in dist/.
    path: 'src/database/migrations',
    pathTs: 'src/database/migrations',
    emit: 'ts',
    // The migrations are the one record of the schema: diff against the migrated database, not a
    // snapshot file that could drift from them.
    snapshot: false,
  },
});
