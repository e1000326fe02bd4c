/**
 * Jest globalTeardown of the e2e project: stops the embedded PostgreSQL and s3rver that
 * global-setup.ts started (nothing when external servers were used), also after a setup
 * that failed half way.
 */
import { stopTestServers } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await stopTestServers();
}
