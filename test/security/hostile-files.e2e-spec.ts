import { GetObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompressionBombFiles } from '../factories/bombs';
import { hostileTextFiles, textWithControls } from '../factories/hostile-files';
import { putObjects, S3ObjectSpec, textFiles } from '../factories/s3-objects';
import { FaultHarness } from '../faults/harness';

const USER = 'hostile-files-user';
const MAX_TEXT_CHARS = 5_000_000;
const FIXTURES = join(__dirname, '..', 'fixtures', 'formats');
const PROBE_EVERY_MS = 250;

interface Probe {
  ms: number;
  status: number;
}

/** Peak resident memory of a process so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Math.round(Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024);
}

/**
 * Hostile files mixed into a program of ordinary ones, on the built service running as its own
 * process: it never restarts, liveness answers within a second throughout, each hostile file ends
 * with a bounded outcome, the ordinary files all succeed, and the SPEC §4 invariants hold.
 */
describe('hostile files on a running service', () => {
  let h: FaultHarness;

  beforeAll(async () => {
    h = await FaultHarness.create();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('contains every hostile file; the process and its liveness are unharmed', async () => {
    const ordinary = textFiles(60, 'ordinary');
    const hostile: { spec: S3ObjectSpec; outcomes: readonly string[] }[] = [
      ...hostileTextFiles().map((f) => ({ spec: { key: f.key, body: f.body }, outcomes: f.outcomes })),
      ...decompressionBombFiles('hostile/').map((b) => ({ spec: { key: b.key, body: b.body }, outcomes: [b.outcome] })),
      {
        spec: { key: 'hostile/zip-bomb.docx', body: readFileSync(join(FIXTURES, 'zip-bomb.docx')) },
        outcomes: ['CORRUPT_FILE'],
      },
      { spec: { key: 'hostile/controls.txt', body: textWithControls() }, outcomes: ['success'] },
    ];
    // Hostile files spread among the ordinary ones, so they meet ordinary work in flight.
    const specs: S3ObjectSpec[] = [];
    ordinary.forEach((o, i) => {
      specs.push(o);
      if (i % 6 === 0 && hostile[i / 6]) specs.push(hostile[i / 6].spec);
    });
    for (const rest of hostile.slice(Math.ceil(ordinary.length / 6))) specs.push(rest.spec);
    const files = await putObjects(h.s3, h.sourceBucket, specs);

    const service = await h.startService({
      PROCESSING_CONCURRENCY: '4',
      MAX_TEXT_CHARS: String(MAX_TEXT_CHARS),
      PREPROCESS_TIMEOUT_MS: '60000',
    });
    const pid = service.child.pid!;
    const programId = await h.createProgram(service, USER, files);

    const probes: Probe[] = [];
    let settled = false;
    const prober = (async () => {
      while (!settled) {
        const started = performance.now();
        const res = await fetch(`${service.baseUrl}/health/live`, { signal: AbortSignal.timeout(5_000) }).catch(
          () => undefined,
        );
        probes.push({ ms: performance.now() - started, status: res?.status ?? 0 });
        await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
      }
    })();
    try {
      // One read per check: a program's status moves pending → processing → settled.
      await h.waitFor(
        async () => !['pending', 'processing'].includes((await h.getProgram(service, programId, USER)).status),
        'program settled',
        240_000,
      );
    } finally {
      settled = true;
      await prober;
    }

    // The same process all along, still serving.
    expect(service.child.exitCode).toBeNull();
    expect(service.child.pid).toBe(pid);
    const peakMb = peakRssMb(pid);

    const rows = (
      await h.db.query(
        `SELECT f.source_index, f.source_file_path, f.state, f.error_code, d.characters
         FROM program_files f LEFT JOIN documents d USING (program_id, source_index)
         WHERE f.program_id = $1 ORDER BY f.source_index`,
        [programId],
      )
    ).rows as {
      source_index: number;
      source_file_path: string;
      state: string;
      error_code: string | null;
      characters: number | null;
    }[];
    const byKey = new Map(rows.map((r) => [r.source_file_path.slice(`s3://${h.sourceBucket}/`.length), r]));

    const unsettled = rows.filter((r) => r.state === 'pending' || r.state === 'processing');
    if (unsettled.length > 0) {
      const status = (await h.getProgram(service, programId, USER)).status;
      throw new Error(
        `program ${status} with unsettled files ${JSON.stringify(unsettled)}\n${service.output().slice(-3000)}`,
      );
    }
    const outcomes: Record<string, string> = {};
    for (const f of hostile) {
      const row = byKey.get(f.spec.key)!;
      outcomes[f.spec.key] = row.state === 'done' ? 'success' : row.error_code!;
      expect({
        file: f.spec.key,
        outcome: outcomes[f.spec.key],
        allowed: f.outcomes.includes(outcomes[f.spec.key]),
      }).toEqual({
        file: f.spec.key,
        outcome: outcomes[f.spec.key],
        allowed: true,
      });
      if (row.state === 'done') expect(row.characters).toBeLessThanOrEqual(MAX_TEXT_CHARS);
    }
    for (const o of ordinary)
      expect({ file: o.key, state: byKey.get(o.key)!.state }).toEqual({ file: o.key, state: 'done' });

    // Stray control bytes are removed, the text is kept.
    const controls = byKey.get('hostile/controls.txt')!;
    const json = await h.s3.send(
      new GetObjectCommand({
        Bucket: h.bucket,
        Key: `programs/${programId}/processed_${programId}_${controls.source_index}.json`,
      }),
    );
    expect(JSON.parse(await json.Body!.transformToString()).text).toBe(
      'Stray control bytes[0m are removed, the text stays.',
    );

    const slowest = Math.max(...probes.map((p) => p.ms));
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.filter((p) => p.status !== 200)).toEqual([]);
    expect(slowest).toBeLessThan(1_000);
    // Two extraction threads, each held to its heap limit and its inflated-bytes budget, plus the
    // main thread: unbounded, the PDF bombs alone took a process past 4 GB.
    expect(peakMb).toBeLessThan(1_200);

    const r = await h.check(service, programId, USER, files);
    expect({ duplicates: r.duplicates, lost: r.lost, documents: r.documents }).toEqual({
      duplicates: 0,
      lost: 0,
      documents: ordinary.length + Object.values(outcomes).filter((o) => o === 'success').length,
    });

    const dir = join(__dirname, '..', '..', 'test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'hostile-files.json'),
      JSON.stringify(
        {
          at: new Date().toISOString(),
          probes: probes.length,
          slowestProbeMs: Math.round(slowest),
          peakRssMb: peakMb,
          outcomes,
        },
        null,
        2,
      ),
    );
    console.log(
      `hostile files: ${probes.length} probes, slowest ${Math.round(slowest)} ms, peak RSS ${peakMb} MB`,
      outcomes,
    );
  }, 300_000);
});
