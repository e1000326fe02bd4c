#!/usr/bin/env node
/*
 * One-minute demo against a running `npm start`: makes a realistic sample set (mixed formats,
 * Korean and English, a few broken files and a few that are not uploaded yet), ingests it with the
 * CLI, shows the partial failure, uploads the missing files, retries, and shows the recovery.
 */
const { spawnSync } = require('node:child_process');
const { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const iconv = require('iconv-lite');
const { PutObjectCommand, S3Client } = require('@aws-sdk/client-s3');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'formats');
const API = process.env.INGEST_API_URL || `http://localhost:${process.env.PORT || 3000}`;
const USER = process.env.DEMO_USER || 'demo';
const BUCKET = 'demo-sources';

const EN = [
  'The quarterly report shows steady growth in every region.',
  'Customers asked for faster delivery and clearer invoices.',
  'The new warehouse opens in March; staff training starts next week.',
  'Please review the attached contract before Friday.',
];
const KO = [
  '이번 분기 보고서는 모든 지역에서 꾸준한 성장을 보여 줍니다.',
  '고객들은 더 빠른 배송과 명확한 청구서를 요청했습니다.',
  '새 물류 센터는 3월에 문을 열며 직원 교육은 다음 주에 시작합니다.',
  '금요일 전까지 첨부된 계약서를 검토해 주십시오.',
];
const pick = (list, i, n) => Array.from({ length: n }, (_, k) => list[(i + k) % list.length]).join(' ');

function step(title) {
  console.log(`\n\x1b[1m▶ ${title}\x1b[0m`);
}

function cli(args) {
  console.log(`$ batch-ingest ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    stdio: 'inherit',
    env: { ...process.env, INGEST_API_URL: API },
  });
  return r.status;
}

function makeSampleSet(dir) {
  for (let i = 0; i < 80; i++) writeFileSync(join(dir, `report-${i}.txt`), `Report ${i}\n\n${pick(EN, i, 6)}\n`);
  for (let i = 0; i < 60; i++) writeFileSync(join(dir, `보고서-${i}.txt`), `보고서 ${i}\n\n${pick(KO, i, 6)}\n`);
  for (let i = 0; i < 10; i++)
    writeFileSync(join(dir, `legacy-cp949-${i}.txt`), iconv.encode(`옛 문서 ${i}. ${pick(KO, i, 3)}\n`, 'cp949'));
  for (let i = 0; i < 30; i++)
    writeFileSync(
      join(dir, `note-${i}.md`),
      `# Meeting note ${i}\n\n${pick(EN, i, 3)}\n\n## 요약\n\n${pick(KO, i, 2)}\n`,
    );
  for (let i = 0; i < 20; i++)
    writeFileSync(
      join(dir, `record-${i}.json`),
      JSON.stringify({ title: `Record ${i}`, body: pick(EN, i, 2), tags: ['demo', '데모'] }),
    );
  for (let i = 0; i < 10; i++)
    writeFileSync(
      join(dir, `table-${i}.csv`),
      `city,visits,note\nSeoul,${100 + i},"busy, as usual"\nBusan,${50 + i},quiet\n`,
    );
  for (let i = 0; i < 10; i++)
    writeFileSync(
      join(dir, `page-${i}.html`),
      `<html><head><title>Page ${i}</title></head><body><h1>Page ${i}</h1><p>${pick(EN, i, 2)}</p><script>track()</script></body></html>`,
    );
  for (let i = 0; i < 5; i++) {
    copyFileSync(join(FIXTURES, 'sample.pdf'), join(dir, `brochure-${i}.pdf`));
    copyFileSync(join(FIXTURES, 'sample.docx'), join(dir, `letter-${i}.docx`));
  }
  // The broken ones: each fails alone, with its own code.
  copyFileSync(join(FIXTURES, 'corrupt.pdf'), join(dir, 'scan-damaged.pdf'));
  copyFileSync(join(FIXTURES, 'truncated.docx'), join(dir, 'draft-truncated.docx'));
  copyFileSync(join(FIXTURES, 'junk.bin'), join(dir, 'photo.raw'));
  copyFileSync(join(FIXTURES, 'empty.txt'), join(dir, 'empty.txt'));
}

async function main() {
  const ready = await fetch(`${API}/health/ready`).then(
    (r) => r.status,
    () => 0,
  );
  if (ready !== 200) {
    console.error(`The service is not ready at ${API}. Start it first (npm start) and run npm run demo again.`);
    process.exit(1);
  }
  const work = mkdtempSync(join(tmpdir(), 'batch-ingest-demo-'));
  const folder = join(work, 'quarterly-archive');
  mkdirSync(folder);
  try {
    step('Making a sample set: 234 files in 8 formats, English and Korean (UTF-8 and CP949), 4 of them broken');
    makeSampleSet(folder);
    const late = Array.from({ length: 6 }, (_, i) => ({
      key: `late-${Date.now()}/appendix-${i}.txt`,
      body: `Appendix ${i}. ${pick(EN, i, 3)}`,
    }));
    const manifest = join(work, 'not-yet-uploaded.txt');
    writeFileSync(manifest, late.map((f) => `s3://${BUCKET}/${f.key}`).join('\n') + '\n');
    console.log(`6 more files are listed in the program but not uploaded yet (${manifest})`);

    step('Ingesting with the CLI (uploads the folder, creates the program, follows it)');
    cli(['ingest', folder, '--user', USER, '--bucket', BUCKET, '--files-from', manifest]);
    const list = spawnSync(process.execPath, [CLI, 'list', '--user', USER], {
      env: { ...process.env, INGEST_API_URL: API },
    });
    const programId = /prog_[0-9a-f]{24}/.exec(list.stdout.toString())[0];

    step('The missing files arrive in S3');
    const s3 = new S3Client({
      region: process.env.S3_REGION || 'us-east-1',
      endpoint: process.env.S3_ENDPOINT || `http://127.0.0.1:${process.env.EMBEDDED_S3_PORT || 4569}`,
      forcePathStyle: true,
      credentials: {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'S3RVER',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'S3RVER',
      },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    for (const f of late) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: f.key, Body: f.body }));
    s3.destroy();
    console.log(`uploaded ${late.length} files`);

    step('Retrying the failed files');
    cli(['retry', programId, '--user', USER, '--type', 'all']);

    step('What is left (the broken files), as CSV for a spreadsheet');
    cli(['failures', programId, '--user', USER, '--format', 'csv']);
    console.log(`\nMore: batch-ingest status ${programId} --user ${USER}   ·   ${API}/docs   ·   ${API}/metrics`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`demo failed: ${e.message}`);
  process.exit(1);
});
