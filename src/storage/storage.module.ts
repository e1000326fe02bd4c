import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { S3StorageRepository, S3_CLIENT_FACTORY, S3ClientFactory, createS3Client } from './s3-storage.repository';
import { EMBEDDED_S3_CREDENTIALS } from '../infra/embedded-servers';

/** Shared infrastructure (not a feature module): the single doorway to S3. */
@Global()
@Module({
  providers: [
    {
      provide: S3_CLIENT_FACTORY,
      inject: [APP_CONFIG],
      // Embedded S3 accepts fixed credentials; everywhere else the SDK's default chain applies.
      useFactory:
        (config: AppConfig): S3ClientFactory =>
        (region) =>
          createS3Client(config, config.s3.embedded ? EMBEDDED_S3_CREDENTIALS : undefined, region),
    },
    S3StorageRepository,
  ],
  exports: [S3StorageRepository],
})
export class StorageModule {}
