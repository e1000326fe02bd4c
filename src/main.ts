// First: tracing hooks the libraries as they load (see observability/tracing.ts).
import { tracing } from './observability/tracing.bootstrap';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { boundHeapGrowth } from './common/heap';
import { Lifecycle } from './common/lifecycle';
import { AppConfig, loadConfig } from './config/app-config';
import { ConfigError } from './config/config.error';
import {
  EMBEDDED_S3_CREDENTIALS,
  EmbeddedServer,
  startEmbeddedPostgres,
  startEmbeddedS3,
} from './infra/embedded-servers';

const logger = new Logger('Main');

async function main(): Promise<void> {
  boundHeapGrowth();
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }

  const embedded: EmbeddedServer[] = [];
  if (!config.databaseUrl) {
    const pg = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, 'ingest');
    embedded.push(pg);
    config = { ...config, databaseUrl: pg.url };
  }
  if (config.s3.embedded) {
    const s3 = await startEmbeddedS3(config.dataDir, config.s3.embeddedPort);
    embedded.push(s3);
    config = { ...config, s3: { ...config.s3, endpoint: s3.url, forcePathStyle: true } };
  }

  const app = await createApp(config);
  await app.listen(config.port);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  logger.log(`API:        ${url}/v1/programs`);
  logger.log(`Swagger UI: ${url}/docs  (OpenAPI: ${url}/docs-json)`);
  logger.log(`Console:    ${url}/ui`);
  if (config.s3.embedded) {
    logger.log(
      `Embedded S3: ${config.s3.endpoint}  access key ${EMBEDDED_S3_CREDENTIALS.accessKeyId}, ` +
        `secret ${EMBEDDED_S3_CREDENTIALS.secretAccessKey}, region ${config.s3.region}, output bucket ${config.s3.bucket}`,
    );
  }
  if (embedded.length > 0) logger.log(`Embedded data under ${config.dataDir}`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    // Readiness answers 503 and new work is refused from this moment; what is in flight drains.
    app.get(Lifecycle).beginShutdown();
    logger.log(`${signal}: finishing in-flight files, releasing locks`);
    // Files still unfinished then stay pending (or leased) and another replica takes them up.
    const force = setTimeout(() => {
      logger.error('shutdown grace period over; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    try {
      await app.close();
      for (const server of embedded.reverse()) await server.stop();
      // The last spans (this shutdown's) are sent before the process goes.
      await tracing?.shutdown().catch(() => undefined);
      process.exit(0);
    } catch (e) {
      logger.error(`shutdown failed: ${(e as Error).message}`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  // Straight to stderr, not through the logger: its output may go through a worker thread (pretty
  // printing) that process.exit cuts off, and why a replica could not start must always be readable.
  process.stderr.write(`boot failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
