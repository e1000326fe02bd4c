import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { blockDocuments, clearDocumentFaults, documentsAtGate, gateDocuments } from '../factories/db-faults';
import { putObjects, s3Url, textFiles, type S3ObjectSpec } from '../factories/s3-objects';
import { bearer, mintKey } from '../support/auth';
import { finishAndCheck, startTestApp, TestApp, waitForProgram } from '../support/test-app';
import { eventually } from '../support/wait';

/**
 * The operator console in a real browser: Debian's Chromium driven by playwright-core against the
 * real application (PostgreSQL, S3). Timing is made deterministic with the Document gate: a program
 * is held mid-run for exactly as long as a test needs, never for a guessed number of seconds.
 *
 * CONSOLE_SCREENSHOTS=docs also writes docs/console-programs.png and docs/console-program.png.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;
// A gate key of this suite's own: pg_locks is server-wide, and other suites gate with theirs.
const GATE_KEY = 73_521;
const WAIT_MS = 20_000;

/** Waits until an element shows the text (the page updates itself), saying what it saw if it never does. */
async function expectText(page: Page, selector: string, expected: string | RegExp, timeout = WAIT_MS) {
  try {
    await page.locator(selector).filter({ hasText: expected }).first().waitFor({ timeout });
  } catch {
    const seen = await page
      .locator(selector)
      .allTextContents()
      .catch(() => []);
    throw new Error(`${selector}: waited ${timeout} ms for ${String(expected)}; it shows ${JSON.stringify(seen)}`);
  }
}

const junk = (key: string, salt: number): S3ObjectSpec => ({
  key,
  body: Buffer.from(Array.from({ length: 2048 }, (_, b) => (b * 97 + salt) % 256)),
});

describe('operator console (/ui) in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let base: string;
  // What went wrong in the page (script errors, CSP refusals, alert boxes) and every path it asked for.
  let problems: string[] = [];
  let requested: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `the console tests drive Chromium at ${CHROMIUM}, which is missing: install it with ` +
          '`apt-get install chromium` (CI installs it in .ci/run)',
      );
    }
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  });

  beforeEach(async () => {
    problems = [];
    requested = [];
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    context.setDefaultTimeout(WAIT_MS);
  });

  afterEach(async () => {
    await context?.close();
    if (t) await clearDocumentFaults(t.db);
    // The page is a client of the public API only: its own files, /v1/me and /v1/programs, nothing else.
    expect(requested.filter((p) => !p.startsWith('/ui') && !p.startsWith('/v1/programs') && p !== '/v1/me')).toEqual(
      [],
    );
    expect(problems).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function openPage(path: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // Chromium logs every non-2xx answer; the refusals the tests provoke are expected.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
        problems.push(`console: ${m.text()}`);
    });
    page.on('dialog', (d) => {
      problems.push(`${d.type()} box: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => {
      const u = new URL(r.url());
      requested.push(`${u.pathname}${u.search}`);
    });
    await page.goto(`${base}${path}`);
    return page;
  }

  const create = async (user: string, name: string, files: string[]) => {
    const res = await request(t.server).post('/v1/programs').query({ user_id: user }).send({ name, files });
    expect(res.status).toBe(202);
    return res.body.program_id as string;
  };
  const programUrl = (user: string, programId: string) => `/ui#/programs/${programId}?user=${encodeURIComponent(user)}`;

  it('serves the page from the service with its content types, a strict CSP and revalidation; not in the API docs', async () => {
    const index = await request(t.server).get('/ui');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const csp = index.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe');
    // No inline code for the CSP to refuse: every script is a file, no style attribute or element.
    expect(index.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(index.text).not.toMatch(/<style|\sstyle=/);
    expect(index.text).not.toMatch(/https?:\/\//);

    const again = await request(t.server).get('/ui/').set('If-None-Match', index.headers.etag);
    expect(again.status).toBe(304);

    const app = await request(t.server).get('/ui/app.mjs');
    expect(app.status).toBe(200);
    expect(app.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(app.headers['content-security-policy']).toBe(csp);
    const css = await request(t.server).get('/ui/style.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    // Everything the page loads is served here: it works with no network beyond the service.
    for (const module of app.text.matchAll(/from '\.\/([a-z-]+\.mjs)'/g)) {
      expect((await request(t.server).get(`/ui/${module[1]}`)).status).toBe(200);
    }

    for (const path of ['/ui/missing.mjs', '/ui/..%2Fconsole.module.ts', '/ui/console.module.ts']) {
      const res = await request(t.server).get(path);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    }
    const docs = await request(t.server).get('/docs-json');
    expect(Object.keys(docs.body.paths).filter((p) => p.startsWith('/ui'))).toEqual([]);
  });

  it('opens /ui, picks a user and shows a running program’s progress move, list and program page alike', async () => {
    const user = 'console-live';
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(6, 'live'));
    const gate = await gateDocuments(t.db, GATE_KEY);
    let released = false;
    try {
      const programId = await create(user, 'nightly-contracts', files);
      await eventually(
        async () => ((await documentsAtGate(t.db, GATE_KEY)) > 0 ? true : undefined),
        'Documents at the gate',
      );

      const page = await openPage('/ui');
      await page.getByLabel('User ID').fill(user);
      await page.getByLabel('User ID').press('Enter');
      const row = page.locator(`tr[data-program-id="${programId}"]`);
      await expectText(page, `tr[data-program-id="${programId}"] .progress-text`, '0 done · 0 failed · 6 pending of 6');
      expect(await row.locator('[data-status]').getAttribute('data-status')).toMatch(/^(pending|processing)$/);
      expect(page.url()).toContain(`user=${user}`);

      await row.getByRole('link', { name: 'nightly-contracts' }).click();
      await expectText(page, '#progress-text', '0 done · 0 failed · 6 pending of 6');
      await expectText(page, 'h1', 'nightly-contracts');
      expect(await page.getByRole('button', { name: 'Cancel program' }).isEnabled()).toBe(true);
      expect(await page.getByRole('button', { name: 'Retry all' }).isDisabled()).toBe(true);
      // Polling while nothing changes costs a 304 and no body.
      await page.waitForResponse((r) => r.url().includes(`/v1/programs/${programId}?`) && r.status() === 304);

      await gate.release();
      released = true;
      await expectText(page, '#progress-text', '6 done · 0 failed · 0 pending of 6');
      await expectText(page, '.meta [data-status]', 'completed');
      expect(await page.getByRole('button', { name: 'Cancel program' }).isDisabled()).toBe(true);

      // The list follows too, and the user is remembered across a reload.
      await page.getByRole('link', { name: '← All programs' }).click();
      await expectText(page, `tr[data-program-id="${programId}"] [data-status]`, 'completed');
      await page.goto(`${base}/ui`);
      await expectText(page, `tr[data-program-id="${programId}"] .progress-text`, '6 done · 0 failed · 0 pending of 6');
      expect(await page.getByLabel('User ID').inputValue()).toBe(user);

      // The status filter is part of the address, and says so when nothing matches.
      await page.getByLabel('Status', { exact: true }).selectOption('cancelled');
      await expectText(page, '.empty', `No cancelled programs for ${user}.`);
      expect(page.url()).toContain('status=cancelled');
      expect(await page.locator(`tr[data-program-id="${programId}"]`).count()).toBe(0);
    } finally {
      if (!released) await gate.release();
    }
  });

  it('filters failures by error code, opens a file’s story, retries selected rows once their sources are fixed; a 409 is a readable notice', async () => {
    const user = 'console-fix';
    const specs = textFiles(12, 'fix');
    const missing = [2, 5, 8];
    specs[10] = junk('fix/junk-10.txt', 10);
    await putObjects(
      t.s3,
      t.sourceBucket,
      specs.filter((_, i) => !missing.includes(i)),
    );
    const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
    const programId = await create(user, 'fix-sources', files);
    await finishAndCheck(t, programId, user, files);

    const page = await openPage(programUrl(user, programId));
    await expectText(page, '#progress-text', '8 done · 4 failed · 0 pending of 12');
    await page.locator('svg.chart g.bar').first().waitFor();
    expect(
      await page.$$eval('svg.chart g.bar', (bars) =>
        bars.map((b) => [
          (b as SVGElement).dataset.code,
          (b as SVGElement).dataset.stage,
          (b as SVGElement).dataset.count,
        ]),
      ),
    ).toEqual([
      ['SOURCE_NOT_FOUND', 'preprocessing', '3'],
      ['UNSUPPORTED_TYPE', 'preprocessing', '1'],
    ]);

    // Filter by error code: the API is asked for that code, and only its rows are shown.
    const filtered = page.waitForRequest(
      (r) => r.url().includes('/failures?') && r.url().includes('error_code=SOURCE_NOT_FOUND'),
    );
    await page.getByLabel('Error code', { exact: true }).selectOption('SOURCE_NOT_FOUND');
    await filtered;
    const rows = page.locator('#failures-table tbody tr[data-index]');
    await eventually(async () => ((await rows.count()) === 3 ? true : undefined), 'three filtered rows', WAIT_MS);
    expect(
      await rows.evaluateAll((trs) =>
        trs.map((tr) => [(tr as HTMLElement).dataset.index, (tr as HTMLElement).dataset.code]),
      ),
    ).toEqual([
      ['2', 'SOURCE_NOT_FOUND'],
      ['5', 'SOURCE_NOT_FOUND'],
      ['8', 'SOURCE_NOT_FOUND'],
    ]);
    expect(page.url()).toContain('code=SOURCE_NOT_FOUND');

    // One file's story, every attempt; back again to the same filter.
    await page.getByRole('link', { name: '#5', exact: true }).click();
    await expectText(page, 'h1', 'File #5');
    await expectText(page, '.path-line', specs[5].key);
    await expectText(page, '#attempts-table tbody', 'SOURCE_NOT_FOUND');
    expect(await page.locator('#attempts-table tbody tr').count()).toBe(1);
    await page.goBack();
    await expectText(page, '#progress-text', '8 done · 4 failed · 0 pending of 12');
    await eventually(async () => ((await rows.count()) === 3 ? true : undefined), 'the filtered rows again', WAIT_MS);
    expect(await page.getByLabel('Error code', { exact: true }).inputValue()).toBe('SOURCE_NOT_FOUND');

    // The sources arrive; two of the three rows are retried from the page.
    await putObjects(t.s3, t.sourceBucket, [specs[2], specs[5], specs[8]]);
    await page.getByLabel('Select file 2', { exact: true }).check();
    await page.getByLabel('Select file 5', { exact: true }).check();
    await page.getByRole('button', { name: 'Retry selected (2)' }).click();
    await expectText(page, '#notice', /Retry #\d+ finished/);
    await expectText(page, '#notice', 'preprocessing: 2 retried, 2 recovered, 0 still failing');
    await expectText(page, '#progress-text', '10 done · 2 failed · 0 pending of 12');
    await eventually(
      async () => ((await rows.count()) === 1 ? true : undefined),
      'one SOURCE_NOT_FOUND row left',
      WAIT_MS,
    );
    expect(await rows.first().getAttribute('data-index')).toBe('8');
    const program = await request(t.server).get(`/v1/programs/${programId}`).query({ user_id: user });
    expect(program.body.metadata_json.total_successful_documents).toBe(10);
    expect(program.body.metadata_json.retry_history).toHaveLength(1);

    // A retry started elsewhere holds the program: the page's retry meets 409 and says so in words.
    const gate = await gateDocuments(t.db, GATE_KEY);
    let released = false;
    try {
      const held = await request(t.server)
        .post(`/v1/programs/${programId}/retry`)
        .query({ user_id: user, retry_type: 'all', wait: 'false' })
        .send({ indexes: [8] });
      expect(held.status).toBe(202);
      await eventually(
        async () => ((await documentsAtGate(t.db, GATE_KEY)) > 0 ? true : undefined),
        'the other retry at the gate',
      );
      await page.getByRole('button', { name: 'Retry all' }).click();
      await expectText(page, '#notice', 'PROGRAM_BUSY');
      const notice = page.locator('#notice');
      expect(await notice.getAttribute('role')).toBe('status');
      expect(await notice.getAttribute('aria-live')).toBe('polite');
      expect(await notice.locator('[data-kind]').getAttribute('data-kind')).toBe('error');
      const said = await notice.textContent();
      expect(said).toContain('The program is busy');
      expect(said).not.toContain('{');
      await gate.release();
      released = true;
      const runId = held.body.retry_id as string;
      await eventually(async () => {
        const run = await request(t.server).get(`/v1/programs/${programId}/retries/${runId}`).query({ user_id: user });
        return run.body.status === 'finished' ? true : undefined;
      }, 'the other retry to finish');
      // The page notices the change by itself.
      await expectText(page, '#progress-text', '11 done · 1 failed · 0 pending of 12');
    } finally {
      if (!released) await gate.release();
    }

    // File 5's story now has both attempts, the first diagnosis kept.
    await page.goto(`${base}/ui#/programs/${programId}/files/5?user=${user}`);
    await expectText(page, '#attempts-table tbody', 'manual');
    expect(
      await page
        .locator('#attempts-table tbody tr')
        .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.outcome)),
    ).toEqual(['failed', 'succeeded']);
  });

  it('cancels a running program from its page', async () => {
    const user = 'console-cancel';
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(40, 'cancel'));
    const gate = await gateDocuments(t.db, GATE_KEY);
    let released = false;
    try {
      const programId = await create(user, 'to-cancel', files);
      await eventually(
        async () => ((await documentsAtGate(t.db, GATE_KEY)) > 0 ? true : undefined),
        'Documents at the gate',
      );
      const page = await openPage(programUrl(user, programId));
      await expectText(page, '#progress-text', '0 done');
      await page.getByRole('button', { name: 'Cancel program' }).click();
      const dialog = page.getByRole('dialog', { name: 'Cancel this program?' });
      await dialog.waitFor();
      const sent = page.waitForRequest(
        (r) => r.method() === 'POST' && r.url().includes(`/v1/programs/${programId}/cancel`),
      );
      await dialog.getByRole('button', { name: 'Yes, cancel it' }).click();
      await sent;
      await expectText(page, 'button[aria-busy="true"]', 'Cancelling…');

      // The cancel fences the unsettled files; the inserts at the gate hold theirs, so it waits for
      // them: open the gate once it does.
      await eventually(async () => {
        const waiting = await t.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%epoch = f.epoch + 1%'`,
        );
        return waiting.rows[0].n > 0 ? true : undefined;
      }, 'the cancel to wait for the files in flight');
      await gate.release();
      released = true;

      await expectText(page, '.meta [data-status]', 'cancelled');
      await expectText(page, '#notice', 'Program cancelled');
      await page.locator('svg.chart g.bar[data-code="CANCELLED"]').waitFor();
      const settled = await waitForProgram(t, programId, user);
      expect(settled.status).toBe('cancelled');
      const m = settled.metadata_json;
      await expectText(
        page,
        '#progress-text',
        `${m.total_successful_documents} done · ${m.preprocessing.summary.failed} failed · 0 pending of 40`,
      );
      expect(await page.getByRole('button', { name: 'Cancel program' }).isDisabled()).toBe(true);
    } finally {
      if (!released) await gate.release();
    }
  });

  it('pages through the failures with the API’s cursors, 50 rows at a time, keeping a selection across pages', async () => {
    const user = 'console-pages';
    // None of the sources exists: 55 failures, more than one page.
    const files = textFiles(55, 'pages').map((s) => `s3://${t.sourceBucket}/${s.key}`);
    const programId = await create(user, 'many-failures', files);
    await finishAndCheck(t, programId, user, files);

    const page = await openPage(programUrl(user, programId));
    const rows = page.locator('#failures-table tbody tr[data-index]');
    await expectText(page, '#failures-range', 'rows 1–50');
    expect(await rows.count()).toBe(50);
    await page.getByLabel('Select file 0', { exact: true }).check();

    const second = page.waitForRequest((r) => r.url().includes('/failures?') && r.url().includes('cursor='));
    await page.getByRole('button', { name: 'Next page' }).click();
    await second;
    await expectText(page, '#failures-range', 'rows 51–55');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.index)))).toEqual([
      50, 51, 52, 53, 54,
    ]);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await page.getByLabel('Select file 54', { exact: true }).check();
    await page.getByRole('button', { name: 'Retry selected (2)' }).waitFor();

    await page.getByRole('button', { name: 'Previous page' }).click();
    await expectText(page, '#failures-range', 'rows 1–50');
    expect(await page.getByLabel('Select file 0', { exact: true }).isChecked()).toBe(true);

    // The page never asks for more than one page of failures, whatever the program's size.
    const failureCalls = requested.filter((p) => p.startsWith(`/v1/programs/${programId}/failures?`));
    expect(failureCalls.length).toBeGreaterThanOrEqual(3);
    for (const call of failureCalls) expect(new URL(call, base).searchParams.get('limit')).toBe('50');
  });

  it('is usable from the keyboard, every control has a label, and the CSV export is a plain download link', async () => {
    const user = 'console-keys';
    const specs = textFiles(5, 'keys');
    await putObjects(t.s3, t.sourceBucket, specs.slice(0, 4));
    const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
    const programId = await create(user, 'keyboard', files);
    await finishAndCheck(t, programId, user, files);

    const page = await openPage(programUrl(user, programId));
    await page.locator('#failures-table tbody tr[data-index="4"]').waitFor();
    const unlabelled = () =>
      page.$$eval('input, select, textarea, button', (els) =>
        els
          .filter((e) => {
            const el = e as HTMLInputElement;
            const named =
              (el.labels?.length ?? 0) > 0 || el.getAttribute('aria-label') || (el.textContent ?? '').trim();
            return !named;
          })
          .map((e) => e.outerHTML),
      );
    expect(await unlabelled()).toEqual([]);
    expect(await page.locator('.progress[role="img"]').getAttribute('aria-label')).toBe(
      '4 done · 1 failed · 0 pending of 5',
    );

    // Tab from the top of the page reaches every control an operator needs.
    const reached = new Set<string>();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el) return '';
          const label = (el as HTMLInputElement).labels?.[0]?.textContent;
          return (label ?? el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
        }),
      );
    }
    for (const control of [
      'User ID',
      '← All programs',
      'Retry all',
      'Retry preprocessing',
      'Export CSV',
      'Stage',
      'Error code',
      'Select all on this page',
      'Select file 4',
      '#4',
    ]) {
      expect([...reached]).toContain(control);
    }

    // Keyboard only: select the row, retry it (its source is still missing), open its story.
    await page.getByLabel('Select file 4', { exact: true }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Retry selected (1)' }).focus();
    await page.keyboard.press('Enter');
    await expectText(page, '#notice', 'preprocessing: 1 retried, 0 recovered, 1 still failing');
    // After the notice the page reads the failures again and replaces the table's rows; a key press
    // on a row being replaced is lost. Pressing again is what a person would do: until the story opens.
    const storyOpen = async () => ((await page.locator('h1').textContent()) ?? '').includes('File #4');
    for (let tries = 0; tries < 10 && !(await storyOpen()); tries++) {
      await page
        .getByRole('link', { name: '#4', exact: true })
        .focus({ timeout: 2000 })
        .then(() => page.keyboard.press('Enter'))
        .catch(() => undefined);
      await page
        .waitForFunction(() => document.querySelector('h1')?.textContent?.includes('File #4'), undefined, {
          timeout: 1000,
        })
        .catch(() => undefined);
    }
    await expectText(page, 'h1', 'File #4');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await expectText(page, '#attempts-heading', 'Attempts (2)');
    expect(await page.locator('#attempts-table tbody tr').count()).toBe(2);
    expect(await unlabelled()).toEqual([]);

    // The export is the API's own streamed CSV, fetched by the browser as a download.
    await page.goBack();
    const link = page.getByRole('link', { name: 'Export CSV' });
    expect(await link.getAttribute('download')).toBe(`failures_${programId}.csv`);
    const href = await link.getAttribute('href');
    expect(href).toBe(`/v1/programs/${programId}/failures/export?user_id=${user}&format=csv`);
    const csv = await page.request.get(`${base}${href}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    expect((await csv.text()).split('\r\n')[0]).toBe(
      'stage,index,file_path,error_code,retryable,retry_count,exhausted,next_retry_at,timestamp,error',
    );
  });

  it(
    'draws the outcome by error code from the failure counts, and filters the table from a bar',
    async () => {
      const user = 'ops-team';
      const fine = await putObjects(t.s3, t.sourceBucket, textFiles(40, 'invoices'));
      await finishAndCheck(t, await create(user, 'invoices-2025-09', fine), user, fine);

      // Failures of both stages and four codes: missing sources, binary junk, an empty file, and
      // Documents the database refuses.
      const specs = textFiles(120, 'contracts');
      const missing = new Set([3, 17, 29, 44, 58, 71, 90]);
      for (const i of [12, 64, 101]) specs[i] = junk(`contracts/scan-${i}.txt`, i);
      for (const i of [33, 77]) specs[i] = { key: `contracts/blank-${i}.txt`, body: ' \n\n ' };
      await putObjects(
        t.s3,
        t.sourceBucket,
        specs.filter((_, i) => !missing.has(i)),
      );
      await blockDocuments(t.db, `NEW.source_file_path LIKE '%/contracts/file-0011%'`);
      const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
      const programId = await create(user, 'contracts-q3', files);
      await finishAndCheck(t, programId, user, files);
      await clearDocumentFaults(t.db);
      const counts = (await request(t.server).get(`/v1/programs/${programId}/failures/counts`).query({ user_id: user }))
        .body.items as { stage: string; error_code: string; count: number }[];
      expect(counts.map((c) => c.error_code).sort()).toEqual([
        'DOCUMENT_STORE_FAILED',
        'EMPTY_TEXT',
        'SOURCE_NOT_FOUND',
        'UNSUPPORTED_TYPE',
      ]);
      const failed = counts.reduce((n, c) => n + c.count, 0);

      const page = await openPage(programUrl(user, programId));
      await page.locator('svg.chart g.bar').first().waitFor();
      expect(
        await page.$$eval('svg.chart g.bar', (bars) =>
          bars.map((b) => ({
            stage: (b as SVGElement).dataset.stage,
            error_code: (b as SVGElement).dataset.code,
            count: Number((b as SVGElement).dataset.count),
          })),
        ),
      ).toEqual(counts);
      // Longest bar for the most common code; every bar in proportion.
      const widths = await page.$$eval('svg.chart g.bar rect', (rects) =>
        rects.map((r) => Number(r.getAttribute('width'))),
      );
      for (let i = 1; i < widths.length; i++) expect(widths[i]).toBeLessThanOrEqual(widths[i - 1]);
      expect(await page.locator('svg.chart').getAttribute('aria-label')).toContain(`${failed} of 120 files failed`);

      await page.locator('svg.chart g.bar[data-code="UNSUPPORTED_TYPE"] rect').click();
      const rows = page.locator('#failures-table tbody tr[data-index]');
      await eventually(
        async () => ((await rows.count()) === 3 ? true : undefined),
        'the UNSUPPORTED_TYPE rows',
        WAIT_MS,
      );
      expect(await page.getByLabel('Error code', { exact: true }).inputValue()).toBe('UNSUPPORTED_TYPE');

      // The list names each program's most common failures.
      await page.getByRole('link', { name: '← All programs' }).click();
      await expectText(page, `tr[data-program-id="${programId}"] .chips`, counts[0].error_code);

      if (SCREENSHOTS) {
        const dir = resolve(SCREENSHOTS);
        mkdirSync(dir, { recursive: true });
        // A program caught mid-run, so the list shows progress as an operator sees it.
        const running = await putObjects(t.s3, t.sourceBucket, textFiles(1500, 'scans'));
        const runningId = await create(user, 'scans-batch-7', running);
        await eventually(async () => {
          const n = await t.db.query('SELECT count(*)::int AS n FROM documents WHERE program_id = $1', [runningId]);
          return n.rows[0].n >= 400 ? true : undefined;
        }, 'the running program to be part way');
        const gate = await gateDocuments(t.db, GATE_KEY);
        try {
          await page.goto(`${base}/ui#/?user=${user}`);
          await expectText(page, `tr[data-program-id="${runningId}"] [data-status]`, 'processing');
          await page.locator(`tr[data-program-id="${programId}"] .chips`).waitFor();
          await page.setViewportSize({ width: 1280, height: 520 });
          await page.screenshot({ path: `${dir}/console-programs.png` });
        } finally {
          await gate.release();
        }
        await page.goto(`${base}${programUrl(user, programId)}`);
        await page.locator('svg.chart g.bar').first().waitFor();
        await page.locator('#failures-table tbody tr[data-index]').first().waitFor();
        await page.getByLabel('Select file 3', { exact: true }).check();
        await page.getByLabel('Select file 17', { exact: true }).check();
        // The top of the page, down to the first rows of the failures table.
        await page.setViewportSize({ width: 1280, height: 1500 });
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: `${dir}/console-program.png` });
        await waitForProgram(t, runningId, user);
      }
    },
    SCREENSHOTS ? 300_000 : undefined,
  );
});

describe('operator console with AUTH_MODE=api-key', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp({ AUTH_MODE: 'api-key' });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('asks for an API key, keeps it for the tab and sends it as Bearer; an admin sees every user’s programs', async () => {
    const keys = {
      alice: await mintKey(t.db, 'alice'),
      bob: await mintKey(t.db, 'bob'),
      ops: await mintKey(t.db, 'ops', true),
    };
    const files = await putObjects(t.s3, t.sourceBucket, textFiles(1, 'keyed'));
    const programs: Record<string, string> = {};
    for (const user of ['alice', 'bob'] as const) {
      const res = await request(t.server)
        .post('/v1/programs')
        .set(bearer(keys[user].key))
        .send({ name: `${user}-batch`, files: [...files, s3Url(t.sourceBucket, `keyed/${user}-missing.txt`)] });
      expect(res.status).toBe(202);
      programs[user] = res.body.program_id;
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    context.setDefaultTimeout(WAIT_MS);
    const problems: string[] = [];
    const calls: { path: string; authorization?: string }[] = [];
    try {
      const page = await context.newPage();
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        // The refusals this test provokes (a wrong key, a revoked one) are logged by Chromium as failed loads.
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
      });
      page.on('request', (r) => {
        const u = new URL(r.url());
        if (u.pathname.startsWith('/v1/'))
          calls.push({ path: `${u.pathname}${u.search}`, authorization: r.headers().authorization });
      });
      await page.goto(`${base}/ui`);

      // Nobody yet: the page asks for a key, and has no user picker.
      await page.getByLabel('API key').waitFor();
      expect(await page.locator('#user-form').isHidden()).toBe(true);
      await expectText(page, 'main h1', 'Batch ingest console');

      // A key that the service does not know is refused in words.
      await page.getByLabel('API key').fill(`bik_0123456789abcdef_${'A'.repeat(43)}`);
      await page.getByLabel('API key').press('Enter');
      await expectText(page, '#notice', 'The API key was not accepted.');

      await page.getByLabel('API key').fill(keys.alice.key);
      await page.getByLabel('API key').press('Enter');
      await expectText(page, '#who-user', 'alice');
      await page.locator(`tr[data-program-id="${programs.alice}"]`).waitFor();
      expect(await page.locator(`tr[data-program-id="${programs.bob}"]`).count()).toBe(0);
      expect(await page.locator('#all-users').count()).toBe(0);
      expect(await page.locator('#who-admin').isHidden()).toBe(true);
      // Kept for this tab only, never in the address.
      expect(await page.evaluate(() => sessionStorage.getItem('batch-ingest.api_key'))).toBe(keys.alice.key);
      expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(keys.alice.key);
      expect(page.url()).not.toContain(keys.alice.key);

      // Her program's page, and the failures export, which is fetched with the key.
      await page.getByRole('link', { name: 'alice-batch' }).click();
      await expectText(page, '.meta [data-status]', 'completed with failures');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Export CSV' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(`failures_${programs.alice}.csv`);
      const csv = await readFile(await download.path(), 'utf8');
      expect(csv.split('\r\n')[0]).toBe(
        'stage,index,file_path,error_code,retryable,retry_count,exhausted,next_retry_at,timestamp,error',
      );
      expect(csv).toContain('alice-missing.txt');

      // Signed out: the key is forgotten.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('API key').waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('batch-ingest.api_key'))).toBeNull();

      // An admin: the operator view lists every user's programs, with their owners, and opens any of them.
      await page.getByLabel('API key').fill(keys.ops.key);
      await page.getByLabel('API key').press('Enter');
      await expectText(page, '#who-user', 'ops');
      expect(await page.locator('#who-admin').isVisible()).toBe(true);
      await expectText(page, '.empty', 'No programs yet for ops.');
      await page.getByLabel('All users').check();
      await page.locator(`tr[data-program-id="${programs.bob}"]`).waitFor();
      await page.locator(`tr[data-program-id="${programs.alice}"]`).waitFor();
      expect(await page.locator(`tr[data-program-id="${programs.bob}"] .col-owner`).textContent()).toBe('bob');
      expect(await page.locator(`tr[data-program-id="${programs.alice}"] .col-owner`).textContent()).toBe('alice');
      expect(page.url()).toContain('all=1');
      await page.getByRole('link', { name: 'bob-batch' }).click();
      await expectText(page, 'h1', 'bob-batch');
      await expectText(page, '.meta [data-status]', 'completed with failures');
      // Back from another user's program: the list it was opened from, every user's, not the admin's own.
      await page.getByRole('link', { name: '← All programs' }).click();
      await page.locator(`tr[data-program-id="${programs.alice}"] .col-owner`).waitFor();
      expect(page.url()).toContain('all=1');
      expect(await page.getByLabel('All users').isChecked()).toBe(true);

      // Every API call carried the key in use as Bearer, none a user_id.
      expect(calls.length).toBeGreaterThan(5);
      const sent = new Set(calls.map((c) => c.authorization));
      expect(sent).toEqual(
        new Set([
          undefined,
          `Bearer bik_0123456789abcdef_${'A'.repeat(43)}`,
          `Bearer ${keys.alice.key}`,
          `Bearer ${keys.ops.key}`,
        ]),
      );
      // Only the first look (GET /v1/me before any key) and the look after signing out went without one.
      expect(calls.filter((c) => !c.authorization).map((c) => c.path)).toEqual(['/v1/me', '/v1/me']);
      expect(calls.filter((c) => c.path.includes('user_id='))).toEqual([]);
      expect(calls.some((c) => c.path.includes('all_users=true') && c.authorization === `Bearer ${keys.ops.key}`)).toBe(
        true,
      );

      // The key is revoked while the page is open: the next call is refused and the page asks again.
      await request(t.server).delete(`/v1/admin/keys/${keys.ops.key_id}`).set(bearer(keys.ops.key)).expect(204);
      await page.getByRole('link', { name: 'bob-batch' }).click();
      await page.getByLabel('API key').waitFor();
      await expectText(page, '#notice', 'The service no longer accepts your credentials.');
      expect(await page.evaluate(() => sessionStorage.getItem('batch-ingest.api_key'))).toBeNull();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
