import request from 'supertest';
import { putObjects, textFiles } from '../factories/s3-objects';
import { finishAndCheck, startTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/wait';

const USER = 'sweep-user';

/**
 * A run whose holder died is ended `interrupted` by whichever replica notices, also where every
 * replica runs with the scheduler off: the sweep is crash recovery, not scheduling.
 */
describe('interrupted runs with the scheduler off', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ RETRY_SCHEDULER_ENABLED: 'false', RETRY_SCAN_INTERVAL_MS: '200' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('ends a running run whose holder is gone, and retries nothing on its own', async () => {
    const specs = textFiles(3, 'sweep');
    const files = await putObjects(t.s3, t.sourceBucket, specs.slice(0, 2));
    files.push(`s3://${t.sourceBucket}/${specs[2].key}`);
    const created = await request(t.server).post('/v1/programs').query({ user_id: USER }).send({ name: 's', files });
    const programId = created.body.program_id as string;
    await finishAndCheck(t, programId, USER, files);

    const retried = await request(t.server).post(`/v1/programs/${programId}/retry`).query({ user_id: USER });
    expect(retried.status).toBe(200);
    const retryId = retried.body.retry_id as string;
    // What a holder that died after its summary but before ending its run leaves behind: the run
    // `running`, the program lock free (its connection went with it).
    await t.db.query(`UPDATE retry_runs SET status = 'running', finished_at = NULL WHERE id = $1`, [retryId]);

    const status = await eventually(async () => {
      const run = await request(t.server).get(`/v1/programs/${programId}/retries/${retryId}`).query({ user_id: USER });
      return run.body.status === 'running' ? undefined : (run.body.status as string);
    }, `the sweep to end retry ${retryId}`);
    expect(status).toBe('interrupted');

    // The sweep ran, the scheduler did not: the only run is the manual one.
    const runs = await t.db.query('SELECT trigger FROM retry_runs WHERE program_id = $1', [programId]);
    expect(runs.rows).toEqual([{ trigger: 'manual' }]);
    await finishAndCheck(t, programId, USER, files);
  });
});
