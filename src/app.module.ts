import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AuthModule } from './auth/auth.module';
import { loggerOptions } from './common/logging';
import { Clock, ClockModule } from './common/clock';
import type { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { ConsoleModule } from './console/console.module';
import { LifecycleModule } from './common/lifecycle';
import { ormConfig } from './database/orm.config';
import { DocumentsModule } from './documents/documents.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { NotificationsModule } from './notifications/notifications.module';
import { PreprocessingModule } from './preprocessing/preprocessing.module';
import { ProgramsModule } from './programs/programs.module';
import { RetryModule } from './retry/retry.module';
import { StorageModule } from './storage/storage.module';

@Module({})
export class AppModule {
  /** The configuration is resolved (embedded servers started) before the module graph exists. */
  static forRoot(config: AppConfig, clock?: Clock, logDestination?: DestinationStream): DynamicModule {
    if (!config.databaseUrl) throw new Error('databaseUrl must be resolved before the app module is built');
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config, logDestination)),
        ClockModule.forRoot(clock),
        LifecycleModule,
        ScheduleModule.forRoot(),
        MikroOrmModule.forRoot({ ...ormConfig(config.databaseUrl, config.db), registerRequestContext: false }),
        // The command bus (one handler per command, answers) and the event bus (facts) between modules.
        CqrsModule.forRoot(),
        StorageModule,
        MetricsModule,
        AuthModule,
        ProgramsModule,
        PreprocessingModule,
        DocumentsModule,
        RetryModule,
        NotificationsModule,
        HealthModule,
        ConsoleModule,
      ],
    };
  }
}
