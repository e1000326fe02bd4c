#!/usr/bin/env node
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ApiClient, CliError, EXIT } from './api-client';
import type { ApiKeyRow } from '../auth/api-key.types';
import { createKey, listKeys, revokeKey, withDatabase, type CreatedKey } from './key-store';
import { parseErrorCodes, parseIdempotencyKey, parseIndexes, parseKeyId, parseSeconds, parseUserId } from './options';
import {
  FailureItem,
  failuresCsv,
  failuresList,
  ListItem,
  listLine,
  retryCounts,
  StageCounts,
  summaryTable,
} from './render';
import { listPrefix, s3FromEnv, uploadFolder } from './sources';
import { exitCodeFor, failureTotal, isSettled, PROGRAM_STATUSES, ProgramView, progressOf } from './status';

/**
 * batch-ingest CLI: talks to a running service over its HTTP API (and, for `ingest` of a local
 * folder, to the S3 the service is configured with). Exit codes are listed in EXIT_CODES below.
 */
// A terminal tool's stderr is for its own errors; the SDK's note about future Node versions is for
// the service's operators and is printed by the service at boot.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const EXIT_CODES = `
Exit codes:
  0  done: the program completed (status/watch/ingest/retry), or the request was accepted (cancel, ingest --no-wait)
  1  error: a refused request (the service's code is shown), bad usage, or a request that timed out (--timeout)
  2  the program settled completed_with_failures, cancelled or aborted
  3  the service cannot be reached (no connection)
  4  retry: the run is still going after --wait-timeout (its retry_id is shown)`;

const POLL_MS = 500;
const apiUrl = () => process.env.INGEST_API_URL || `http://localhost:${process.env.PORT || 3000}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Decided before parsing, so that commander's own usage errors come out as JSON too.
const jsonMode = process.argv.slice(2).includes('--json');

const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
const printError = (code: string, message: string) =>
  jsonMode
    ? process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`)
    : process.stderr.write(`error: ${message}\n`);

/** The options every command takes (commander types them loosely; these are what the commands declare). */
interface CommonOpts {
  user?: string;
  apiKey?: string;
  json?: boolean;
  timeout: number;
}
interface IngestOpts extends CommonOpts {
  filesFrom?: string;
  name?: string;
  bucket: string;
  wait: boolean;
  quiet?: boolean;
  idempotencyKey?: string;
}
interface WatchOpts extends CommonOpts {
  quiet?: boolean;
}
interface RetryOpts extends CommonOpts {
  type: 'all' | 'preprocessing' | 'document';
  indexes?: number[];
  errorCodes?: string[];
  waitTimeout: number;
}
interface FailuresOpts extends CommonOpts {
  format: 'csv' | 'json';
  stage?: 'preprocessing' | 'document';
  errorCode?: string;
}
interface ListOpts extends CommonOpts {
  status?: string;
}

const program = new Command('batch-ingest')
  .description('Drive a running batch-ingest service: ingest files, watch, cancel, retry, export failures')
  .addOption(new Option('--api <url>', 'service URL').env('INGEST_API_URL'))
  .showHelpAfterError(!jsonMode)
  .addHelpText('after', EXIT_CODES);
if (jsonMode)
  program.configureOutput({
    outputError: (str, write) =>
      write(`${JSON.stringify({ error: { code: 'USAGE', message: str.trim().replace(/^error:\s*/, '') } })}\n`),
  });

function client(opts: CommonOpts): ApiClient {
  // With a key the service knows who calls; without one (AUTH_MODE=none) user_id is the identity.
  if (opts.user === undefined && !opts.apiKey)
    throw new CliError('give --user (or an API key: --api-key, or INGEST_API_KEY)', EXIT.failure, 'USAGE');
  return new ApiClient(
    program.opts<{ api?: string }>().api ?? apiUrl(),
    { userId: opts.user, apiKey: opts.apiKey || undefined },
    opts.timeout * 1000,
  );
}

// In the environment rather than on the command line, a key stays out of `ps` and shell history.
const apiKeyOption = () =>
  new Option('--api-key <key>', 'API key (AUTH_MODE=api-key), sent as Authorization: Bearer').env('INGEST_API_KEY');

/** Actions answer their exit code; a thrown error is reported in one line by the catch below. */
const run =
  <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
  async (...args: A): Promise<void> => {
    process.exitCode = await fn(...args);
  };

const common = (cmd: Command) =>
  cmd
    .option(
      '-u, --user <user_id>',
      'user_id that owns the programs (AUTH_MODE=none: required; with an API key: optional, it must be the key’s user)',
    )
    .addOption(apiKeyOption())
    .option('--json', 'print one JSON document on stdout and nothing else; errors as JSON on stderr')
    .addOption(
      new Option('--timeout <seconds>', 'deadline of each request to the service').argParser(parseSeconds).default(30),
    )
    .addHelpText('after', EXIT_CODES);

async function readManifest(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new CliError(`cannot read ${path}`, EXIT.failure);
  });
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/**
 * Polls the program until it has settled, with the ETag of the last answer: while nothing changes
 * the service answers 304 and the bar is left as it is.
 */
async function follow(api: ApiClient, programId: string, showBar: boolean): Promise<ProgramView> {
  const bar = showBar
    ? new SingleBar({ format: 'processing [{bar}] {value}/{total} files | {status}', hideCursor: true })
    : undefined;
  let etag: string | undefined;
  let p: ProgramView | undefined;
  try {
    for (;;) {
      const answer = await api.getIfChanged<ProgramView>(`/v1/programs/${programId}`, etag);
      if (answer.changed) {
        p = answer.body;
        etag = answer.etag;
        if (bar && !bar.isActive) bar.start(p.total_files, 0, { status: p.status });
        bar?.update(progressOf(p).settled, { status: p.status });
      }
      if (p && isSettled(p.status)) return p;
      await sleep(POLL_MS);
    }
  } finally {
    bar?.stop();
  }
}

/** The summary and, unless it completed, the first failures; answers the program's exit code. */
async function report(api: ApiClient, p: ProgramView): Promise<number> {
  console.log(summaryTable(p));
  const total = failureTotal(p);
  if (p.status !== 'completed' && total > 0) {
    // The first page is all a terminal shows; a cancelled program of 100,000 files has as many failures.
    const page = await api.request<{ items: FailureItem[] }>('GET', `/v1/programs/${p.program_id}/failures`, {
      limit: '20',
    });
    console.log(`\nfailures (${total}):\n${failuresList(page.items, total)}`);
  }
  return exitCodeFor(p.status);
}

/** The final program: as JSON, or as the summary with its failures. */
async function finish(api: ApiClient, p: ProgramView, opts: CommonOpts): Promise<number> {
  if (!opts.json) return report(api, p);
  printJson(p);
  return exitCodeFor(p.status);
}

common(
  program
    .command('ingest [source]')
    .description('upload a local folder (or use an s3://bucket/prefix), create a program, show its progress')
    .option('--files-from <manifest>', "a text file of s3:// paths, one per line (added to the source's files)")
    .option('-n, --name <name>', 'program name (default: the folder or prefix)')
    .option('--bucket <bucket>', 'bucket to upload a local folder into', 'sources')
    .option('--no-wait', 'create the program and return at once')
    .option('-q, --quiet', 'no progress bar')
    .addOption(
      new Option(
        '--idempotency-key <key>',
        'repeat a create safely: the same key and files answer the same program (default: a new key per run)',
      ).argParser(parseIdempotencyKey),
    ),
).action(
  run(async (source: string | undefined, opts: IngestOpts) => {
    const api = client(opts);
    if (!source && !opts.filesFrom)
      throw new CliError('give a folder, an s3://bucket/prefix or --files-from', EXIT.failure, 'USAGE');
    const s3 = s3FromEnv(process.env, opts.timeout * 1000);
    let files: string[] = [];
    try {
      if (source?.startsWith('s3://')) {
        files = await listPrefix(s3, source);
      } else if (source) {
        let uploaded = 0;
        files = await uploadFolder(s3, source, opts.bucket, () => uploaded++);
        if (!opts.quiet && !opts.json) console.log(`uploaded ${uploaded} file(s) to s3://${opts.bucket}/`);
      }
    } finally {
      s3.destroy();
    }
    if (opts.filesFrom) files.push(...(await readManifest(opts.filesFrom)));
    const name = (
      opts.name ??
      (source ?? opts.filesFrom ?? '').replace(/\/+$/, '').split('/').pop() ??
      'program'
    ).slice(0, 200);
    const created = await api.createProgram<{ program_id: string; status: string; total_files: number }>(
      { name, files },
      opts.idempotencyKey ?? randomUUID(),
    );
    if (!opts.wait) {
      if (opts.json) printJson(created);
      else console.log(`program ${created.program_id} created with ${files.length} file(s)`);
      return EXIT.ok;
    }
    if (!opts.json) console.log(`program ${created.program_id} created with ${files.length} file(s)`);
    const done = await follow(api, created.program_id, !opts.quiet && !opts.json);
    return finish(api, done, opts);
  }),
);

common(
  program
    .command('watch <program_id>')
    .description("follow a program's progress live until it settles, then show its summary")
    .option('-q, --quiet', 'no progress bar'),
).action(
  run(async (id: string, opts: WatchOpts) => {
    const api = client(opts);
    return finish(api, await follow(api, id, !opts.quiet && !opts.json), opts);
  }),
);

common(program.command('status <program_id>').description('summary of a program')).action(
  run(async (id: string, opts: CommonOpts) => {
    const api = client(opts);
    return finish(api, await api.request<ProgramView>('GET', `/v1/programs/${id}`), opts);
  }),
);

common(
  program
    .command('cancel <program_id>')
    .description("stop a program's first run: its unsettled files fail CANCELLED and it settles cancelled"),
).action(
  run(async (id: string, opts: CommonOpts) => {
    const api = client(opts);
    const r = await api.request<{ program_id: string; status: string }>('POST', `/v1/programs/${id}/cancel`);
    if (opts.json) printJson(r);
    else console.log(`program ${r.program_id} ${r.status === 'cancelled' ? 'cancelled' : `had settled: ${r.status}`}`);
    return EXIT.ok;
  }),
);

interface RetryRun {
  retry_id: string;
  program_id: string;
  status: 'running' | 'finished' | 'interrupted';
  results: Record<string, StageCounts>;
  skipped: number;
}

common(
  program
    .command('retry <program_id>')
    .description('retry failed files now (all of them, or some) and follow the run until it ends')
    .addOption(
      new Option('-t, --type <type>', 'what to retry').choices(['all', 'preprocessing', 'document']).default('all'),
    )
    .addOption(
      new Option('--indexes <list>', 'only the failed files at these source indexes, e.g. 3,17,250')
        .argParser(parseIndexes)
        .conflicts('errorCodes'),
    )
    .addOption(
      new Option('--error-codes <list>', 'only failures with these codes, e.g. SOURCE_NOT_FOUND,TIMEOUT').argParser(
        parseErrorCodes,
      ),
    )
    .addOption(
      new Option('--wait-timeout <seconds>', 'stop following after this long (the run goes on; exit 4)')
        .argParser(parseSeconds)
        .default(3600),
    ),
).action(
  run(async (id: string, opts: RetryOpts) => {
    const api = client(opts);
    const selection = opts.indexes
      ? { indexes: opts.indexes }
      : opts.errorCodes
        ? { error_codes: opts.errorCodes }
        : undefined;
    // wait=false: a retry of many files outlasts any sensible request deadline, so the run is
    // started, then followed as a resource.
    const started = await api.request<{ retry_id: string; skipped: number }>(
      'POST',
      `/v1/programs/${id}/retry`,
      { retry_type: opts.type, wait: 'false' },
      selection,
    );
    if (!opts.json) {
      const skipped = started.skipped ? ` (${started.skipped} selected file(s) skipped: not failed in that stage)` : '';
      console.log(`retry ${started.retry_id} started${skipped}; following it (Ctrl-C stops following, not the retry)`);
    }
    const runPath = `/v1/programs/${id}/retries/${started.retry_id}`;
    const deadline = Date.now() + opts.waitTimeout * 1000;
    let r = await api.request<RetryRun>('GET', runPath);
    while (r.status === 'running' && Date.now() < deadline) {
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
      r = await api.request<RetryRun>('GET', runPath);
    }
    if (opts.json) printJson(r);
    else console.log(retryCounts(r.results));
    if (r.status === 'running')
      throw new CliError(
        `retry ${r.retry_id} is still running after ${opts.waitTimeout} s; follow it with GET ${runPath}`,
        EXIT.stillRunning,
        'STILL_RUNNING',
      );
    if (r.status === 'interrupted')
      throw new CliError(
        `retry ${r.retry_id} was interrupted (the replica running it stopped); its files still settle: see status`,
        EXIT.failure,
        'RETRY_INTERRUPTED',
      );
    const p = await api.request<ProgramView>('GET', `/v1/programs/${id}`);
    if (opts.json) return exitCodeFor(p.status);
    console.log(`retry ${r.retry_id} ${r.status}\n`);
    return report(api, p);
  }),
);

common(
  program
    .command('failures <program_id>')
    .description('every failure record, for spreadsheets (csv) or tools (json)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .addOption(new Option('-s, --stage <stage>', 'one stage only').choices(['preprocessing', 'document']))
    .option('-e, --error-code <code>', 'one error code only, e.g. SOURCE_NOT_FOUND'),
).action(
  run(async (id: string, opts: FailuresOpts) => {
    const api = client(opts);
    const items = await api.all<FailureItem>(`/v1/programs/${id}/failures`, {
      stage: opts.stage,
      error_code: opts.errorCode,
    });
    if (opts.json || opts.format === 'json') printJson(items);
    else process.stdout.write(failuresCsv(items));
    return EXIT.ok;
  }),
);

common(
  program
    .command('list')
    .description("the user's programs, newest first, with their files done, failed and pending")
    .addOption(new Option('--status <status>', 'only programs in this status').choices(PROGRAM_STATUSES)),
).action(
  run(async (opts: ListOpts) => {
    const api = client(opts);
    const items = await api.all<ListItem>('/v1/programs', { status: opts.status });
    if (opts.json) printJson(items);
    else for (const p of items) console.log(listLine(p));
    return EXIT.ok;
  }),
);

interface KeysOpts {
  apiKey?: string;
  json?: boolean;
  timeout: number;
}

const keysCommand = (cmd: Command) =>
  cmd
    .addOption(apiKeyOption())
    .option('--json', 'print one JSON document on stdout and nothing else; errors as JSON on stderr')
    .addOption(
      new Option('--timeout <seconds>', 'deadline of each request (or database statement)')
        .argParser(parseSeconds)
        .default(30),
    )
    .addHelpText(
      'after',
      '\nWith an admin API key (--api-key / INGEST_API_KEY) the service is asked; without one, the database\n' +
        'at DATABASE_URL is used directly: that is how the first admin key is made.' +
        EXIT_CODES,
    );

/** Through the service when the caller has a key, else straight to the database (bootstrapping). */
async function keyStore<T>(
  opts: KeysOpts,
  viaApi: (api: ApiClient) => Promise<T>,
  viaDatabase: (db: Parameters<Parameters<typeof withDatabase>[2]>[0]) => Promise<T>,
): Promise<T> {
  if (opts.apiKey) return viaApi(client({ apiKey: opts.apiKey, timeout: opts.timeout }));
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl)
    throw new CliError(
      'set DATABASE_URL (the service’s database) or give an admin API key (--api-key, or INGEST_API_KEY)',
      EXIT.failure,
      'USAGE',
    );
  return withDatabase(databaseUrl, opts.timeout * 1000, viaDatabase);
}

const keys = program
  .command('keys')
  .description('API keys for AUTH_MODE=api-key: make, list and revoke them (the key is shown once)');

keysCommand(
  keys
    .command('create')
    .description('make an API key for a user; the key is printed once and stored only as a hash')
    .requiredOption('-u, --user <user_id>', 'whose key it is', parseUserId)
    .option('--admin', "an admin's key: reads and acts on every user's programs, manages keys"),
).action(
  run(async (opts: KeysOpts & { user: string; admin?: boolean }) => {
    const admin = opts.admin === true;
    const created = await keyStore<CreatedKey>(
      opts,
      (api) => api.request('POST', '/v1/admin/keys', {}, { user_id: opts.user, admin }),
      (db) => createKey(db, opts.user, admin),
    );
    if (opts.json) printJson(created);
    else
      console.log(
        [
          `key_id  ${created.key_id}`,
          `user    ${created.user_id}`,
          `admin   ${created.admin ? 'yes' : 'no'}`,
          `key     ${created.key}`,
          '',
          'The key is shown only now (only its hash is stored): keep it somewhere safe.',
          'Use it as INGEST_API_KEY, or send it as Authorization: Bearer <key>.',
        ].join('\n'),
      );
    return EXIT.ok;
  }),
);

keysCommand(keys.command('list').description('every API key, newest first: never the key itself')).action(
  run(async (opts: KeysOpts) => {
    const items = await keyStore<ApiKeyRow[]>(
      opts,
      (api) => api.all<ApiKeyRow>('/v1/admin/keys'),
      (db) => listKeys(db),
    );
    if (opts.json) printJson(items);
    else
      for (const k of items)
        console.log(
          [
            k.key_id,
            k.user_id,
            k.admin ? 'admin' : '-',
            k.created_at,
            k.revoked_at ? `revoked ${k.revoked_at}` : 'active',
          ].join('  '),
        );
    return EXIT.ok;
  }),
);

keysCommand(
  keys.command('revoke <key_id>').description('revoke an API key: every instance refuses it from its next request on'),
).action(
  run(async (keyIdArg: string, opts: KeysOpts) => {
    const keyId = parseKeyId(keyIdArg);
    await keyStore(
      opts,
      (api) => api.requestEmpty('DELETE', `/v1/admin/keys/${keyId}`),
      async (db) => {
        if (!(await revokeKey(db, keyId))) throw new CliError(`no API key ${keyId}`, EXIT.failure, 'KEY_NOT_FOUND');
      },
    );
    if (opts.json) printJson({ key_id: keyId, revoked: true });
    else console.log(`API key ${keyId} revoked`);
    return EXIT.ok;
  }),
);

program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e instanceof CliError ? e : new CliError(e instanceof Error ? e.message : String(e), EXIT.failure);
  printError(err.code, err.message);
  process.exitCode = err.exitCode;
});
