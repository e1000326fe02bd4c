import { connectionBudget, lockConnections, MIGRATION_CONNECTIONS } from './connection-budget';

describe('connection budget', () => {
  it.each([4, 5, 6, 7, 8, 20, 33, 100, 1000])('never gives out more than DB_POOL_MAX=%i', (poolMax) => {
    const { orm, locks } = connectionBudget(poolMax);
    expect(orm + locks).toBe(poolMax);
    expect(locks).toBeGreaterThanOrEqual(1);
    expect(orm).toBeGreaterThanOrEqual(3);
    expect(lockConnections(poolMax, { programsInParallel: 64, maxConcurrentRetries: 1000 })).toBe(locks);
  });

  it('gives the lock connections a quarter, the ORM the rest', () => {
    expect(connectionBudget(20)).toEqual({ orm: 15, locks: 5 });
    expect(connectionBudget(6)).toEqual({ orm: 5, locks: 1 });
    expect(connectionBudget(4)).toEqual({ orm: 3, locks: 1 });
  });

  it('opens no more lock connections than can ever be asked for', () => {
    // PROGRAMS_IN_PARALLEL + MAX_CONCURRENT_RETRIES + the sweep.
    expect(lockConnections(100, { programsInParallel: 4, maxConcurrentRetries: 8 })).toBe(13);
    expect(lockConnections(20, { programsInParallel: 4, maxConcurrentRetries: 8 })).toBe(5);
  });

  it('a migration run fits in the smallest budget', () => {
    expect(MIGRATION_CONNECTIONS).toBeLessThanOrEqual(4);
  });
});
