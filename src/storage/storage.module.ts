import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { S3StorageRepository, S3_CLIENT, createS3Client } from './s3-storage.repository';
import { EMBEDDED_S3_CREDENTIALS } from '../infra/embedded-servers';

/** Shared infrastructure (not a feature module): the single doorway to S3. */
@Global()
@Module({
  providers: [
    {
      provide: S3_CLIENT,
      inject: [APP_CONFIG],
      // Embedded S3 accepts fixed credentials; everywhere else the SDK's default chain applies.
      useFactory: (config: AppConfig) =>
        createS3Client(config, config.s3.embedded ? EMBEDDED_S3_CREDENTIALS : undefined),
    },
    S3StorageRepository,
  ],
  exports: [S3StorageRepository],
})
export class StorageModule {}
