#!/usr/bin/env node
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { ApiClient, CliError, EXIT, ProgramView } from './api-client';
import { FailureItem, failuresCsv, failuresList, summaryTable } from './render';
import { listPrefix, s3FromEnv, uploadFolder } from './sources';

/**
 * batch-ingest CLI: talks to a running service over its HTTP API (and, for `ingest` of a local
 * folder, to the S3 the service is configured with). Exit codes: 0 done, 1 error, 2 finished with
 * failures, 3 service unreachable.
 */
// A terminal tool's stderr is for its own errors; the SDK's note about future Node versions is for
// the service's operators and is printed by the service at boot.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const settled = (status: string) => status === 'completed' || status === 'completed_with_failures';
const apiUrl = () => process.env.INGEST_API_URL || `http://localhost:${process.env.PORT || 3000}`;

function client(opts: { user: string; api?: string }): ApiClient {
  return new ApiClient(opts.api ?? apiUrl(), opts.user);
}

async function waitWithProgress(
  api: ApiClient,
  programId: string,
  total: number,
  quiet: boolean,
): Promise<ProgramView> {
  const bar = quiet
    ? undefined
    : new SingleBar({ format: 'processing [{bar}] {value}/{total} files | {status}', hideCursor: true });
  bar?.start(total, 0, { status: 'pending' });
  try {
    for (;;) {
      const p = await api.request<ProgramView>('GET', `/v1/programs/${programId}`);
      const pre = p.metadata_json.preprocessing.summary;
      bar?.update(pre.success + pre.failed, { status: p.status });
      if (settled(p.status)) return p;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    bar?.stop();
  }
}

async function report(api: ApiClient, p: ProgramView): Promise<number> {
  console.log(summaryTable(p));
  if (p.status !== 'completed_with_failures') return EXIT.ok;
  const failures = await api.all<FailureItem>(`/v1/programs/${p.program_id}/failures`);
  console.log(`\nfailures (${failures.length}):\n${failuresList(failures)}`);
  return EXIT.withFailures;
}

const program = new Command('batch-ingest')
  .description('Drive a running batch-ingest service: ingest files, watch, retry, export failures')
  .addOption(new Option('--api <url>', 'service URL').env('INGEST_API_URL'))
  .showHelpAfterError();

/** Actions answer their exit code; a thrown error is reported in one line by the catch below. */
const run =
  <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
  async (...args: A): Promise<void> => {
    process.exitCode = await fn(...args);
  };

async function readManifest(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new CliError(`cannot read ${path}`, EXIT.failure);
  });
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

const withUser = (cmd: Command) => cmd.requiredOption('-u, --user <user_id>', 'user_id that owns the programs');

/** The options commander hands each action (it types them loosely; these are what the commands declare). */
interface UserOpts {
  user: string;
  api?: string;
}
interface IngestOpts extends UserOpts {
  filesFrom?: string;
  name?: string;
  bucket: string;
  wait: boolean;
  quiet?: boolean;
}
interface RetryOpts extends UserOpts {
  type: 'all' | 'preprocessing' | 'document';
}
interface FailuresOpts extends UserOpts {
  format: 'csv' | 'json';
  stage?: 'preprocessing' | 'document';
}
const globalOpts = () => program.opts<{ api?: string }>();

withUser(
  program
    .command('ingest [source]')
    .description('upload a local folder (or use an s3://bucket/prefix), create a program, show its progress')
    .option('--files-from <manifest>', "a text file of s3:// paths, one per line (added to the source's files)")
    .option('-n, --name <name>', 'program name (default: the folder or prefix)')
    .option('--bucket <bucket>', 'bucket to upload a local folder into', 'sources')
    .option('--no-wait', 'create the program and return at once')
    .option('-q, --quiet', 'no progress bar'),
).action(
  run(async (source: string | undefined, opts: IngestOpts) => {
    const api = client({ ...globalOpts(), ...opts });
    const s3 = s3FromEnv();
    let files: string[] = [];
    if (!source && !opts.filesFrom)
      throw new CliError('give a folder, an s3://bucket/prefix or --files-from', EXIT.failure);
    try {
      if (source?.startsWith('s3://')) {
        files = await listPrefix(s3, source);
      } else if (source) {
        let uploaded = 0;
        files = await uploadFolder(s3, source, opts.bucket, () => uploaded++);
        if (!opts.quiet) console.log(`uploaded ${uploaded} file(s) to s3://${opts.bucket}/`);
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
    const created = await api.request<{ program_id: string }>('POST', '/v1/programs', {}, { name, files });
    console.log(`program ${created.program_id} created with ${files.length} file(s)`);
    if (!opts.wait) return EXIT.ok;
    const done = await waitWithProgress(api, created.program_id, files.length, Boolean(opts.quiet));
    return report(api, done);
  }),
);

withUser(program.command('status <program_id>').description('summary of a program')).action(
  run(async (id: string, opts: UserOpts) => {
    const api = client({ ...globalOpts(), ...opts });
    return report(api, await api.request<ProgramView>('GET', `/v1/programs/${id}`));
  }),
);

withUser(
  program
    .command('retry <program_id>')
    .description('retry failed files now')
    .addOption(
      new Option('-t, --type <type>', 'what to retry').choices(['all', 'preprocessing', 'document']).default('all'),
    ),
).action(
  run(async (id: string, opts: RetryOpts) => {
    const api = client({ ...globalOpts(), ...opts });
    const r = await api.request<{
      results: Record<string, { retried: number; success: number; failed: number }>;
      message: string;
    }>('POST', `/v1/programs/${id}/retry`, { retry_type: opts.type });
    for (const stage of ['preprocessing', 'document']) {
      const c = r.results[stage];
      console.log(`${stage.padEnd(13)}  retried ${c.retried}, success ${c.success}, failed ${c.failed}`);
    }
    console.log(r.message);
    return report(api, await api.request<ProgramView>('GET', `/v1/programs/${id}`));
  }),
);

withUser(
  program
    .command('failures <program_id>')
    .description('every failure record, for spreadsheets (csv) or tools (json)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .addOption(new Option('-s, --stage <stage>', 'one stage only').choices(['preprocessing', 'document'])),
).action(
  run(async (id: string, opts: FailuresOpts) => {
    const api = client({ ...globalOpts(), ...opts });
    const items = await api.all<FailureItem>(`/v1/programs/${id}/failures`, { stage: opts.stage });
    process.stdout.write(opts.format === 'json' ? `${JSON.stringify(items, null, 2)}\n` : failuresCsv(items));
    return EXIT.ok;
  }),
);

withUser(program.command('list').description("the user's programs, newest first")).action(
  run(async (opts: UserOpts) => {
    const api = client({ ...globalOpts(), ...opts });
    const items = await api.all<{
      program_id: string;
      status: string;
      total_files: number;
      name: string;
      created_at: string;
    }>('/v1/programs');
    for (const p of items)
      console.log(
        `${p.program_id}  ${p.status.padEnd(23)}  ${String(p.total_files).padStart(6)} files  ${p.created_at}  ${p.name}`,
      );
    return EXIT.ok;
  }),
);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = e instanceof CliError ? e.exitCode : EXIT.failure;
});
