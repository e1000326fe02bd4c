import request from 'supertest';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';

const USER = 'counts-user';

describe('failures counted by error code, and listed by one code', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('counts every failure by stage and code, and pages the failures of one code', async () => {
    const specs = textFiles(20, 'counts');
    const missing = [1, 4, 9, 12, 17];
    const junk = [3, 6, 15];
    for (const i of junk) {
      specs[i] = {
        key: `counts/junk-${i}.txt`,
        body: Buffer.from(Array.from({ length: 2048 }, (_, b) => (b * 97 + i) % 256)),
      };
    }
    await putObjects(
      t.s3,
      t.sourceBucket,
      specs.filter((_, i) => !missing.includes(i)),
    );
    const files = specs.map((s) => `s3://${t.sourceBucket}/${s.key}`);
    const created = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 'c', files });
    const programId = created.body.program_id as string;
    await finishAndCheck(t, programId, USER, files);

    const counts = await request(t.server).get(`/v1/programs/${programId}/failures/counts`).query({ user_id: USER });
    expect(counts.status).toBe(200);
    expect(counts.body).toEqual({
      items: [
        { stage: 'preprocessing', error_code: 'SOURCE_NOT_FOUND', count: 5 },
        { stage: 'preprocessing', error_code: 'UNSUPPORTED_TYPE', count: 3 },
      ],
    });

    const page = (cursor?: string) =>
      request(t.server)
        .get(`/v1/programs/${programId}/failures`)
        .query({ user_id: USER, error_code: 'UNSUPPORTED_TYPE', limit: 2, ...(cursor ? { cursor } : {}) });
    const first = await page();
    expect(first.body.items.map((f: { index: number }) => f.index)).toEqual([3, 6]);
    const second = await page(first.body.next_cursor as string);
    expect(second.body).toEqual({
      items: [expect.objectContaining({ index: 15, stage: 'preprocessing' })],
      next_cursor: null,
    });

    const bad = await request(t.server)
      .get(`/v1/programs/${programId}/failures`)
      .query({ user_id: USER, error_code: "X' OR '1'='1" });
    expect(bad.body).toMatchObject({ statusCode: 400, code: 'INVALID_ERROR_CODE' });
    const stranger = await request(t.server)
      .get(`/v1/programs/${programId}/failures/counts`)
      .query({ user_id: 'someone-else' });
    expect(stranger.body).toMatchObject({ statusCode: 404, code: 'PROGRAM_NOT_FOUND' });
  });
});
