import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger as PinoLogger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { Clock } from './common/clock';
import { json } from 'express';
import { AllExceptionsFilter, bodyParserErrorHandler } from './common/http/all-exceptions.filter';
import { createValidationPipe } from './common/http/validation';
import type { AppConfig } from './config/app-config';
import { migrate } from './database/migrate';
import { httpMetrics } from './metrics/http-metrics';
import { MetricsService } from './metrics/metrics.service';
import { S3StorageRepository } from './storage/s3-storage.repository';

const SEVERITY: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function loggerLevels(level: AppConfig['logLevel']): LogLevel[] | false {
  return level === 'silent' ? false : SEVERITY.slice(0, SEVERITY.indexOf(level) + 1);
}

/** Builds the whole application; `main.ts` and the e2e tests boot it the same way. */
export async function createApp(
  config: AppConfig,
  opts: { clock?: Clock; logDestination?: DestinationStream } = {},
): Promise<NestExpressApplication> {
  const levels = loggerLevels(config.logLevel);
  // Also governs what is logged before the application exists (migrations).
  Logger.overrideLogger(levels);
  await migrate(config.databaseUrl!, config.db.migrateOnBoot ? 'apply' : 'check');
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, opts.clock, opts.logDestination),
    {
      bodyParser: false,
      bufferLogs: true,
    },
  );
  // From here on every Nest logger writes through pino (structured, request ids attached).
  app.useLogger(app.get(PinoLogger));
  app.disable('x-powered-by');
  app.use(httpMetrics(app.get(MetricsService)));
  app.use(json({ limit: config.maxBodyBytes }), bodyParserErrorHandler);
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(createValidationPipe());

  const openApi = new DocumentBuilder()
    .setTitle('Batch ingestion')
    .setDescription('Programs of S3 files → processed JSON + Documents, with per-file failure tracking and retries')
    .setVersion('1')
    // AUTH_MODE=api-key: every /v1 call sends its key. (trusted-header: a gateway sets the identity;
    // none: the user_id query parameter is the identity.)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'bik_<key_id>_<secret>',
        description: 'an API key (AUTH_MODE=api-key)',
      },
      'api-key',
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'METRICS_TOKEN', description: 'METRICS_TOKEN, when it is set' },
      'metrics-token',
    )
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), {
    jsonDocumentUrl: 'docs-json',
  });

  // Created (S3_CREATE_BUCKET) or checked before the first program, or a resumed one, needs it.
  await app.get(S3StorageRepository).prepareOutputBucket();
  await app.init();
  return app;
}
