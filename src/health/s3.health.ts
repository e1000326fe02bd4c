import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { S3StorageRepository } from '../storage/s3-storage.repository';

const S3_CHECK_TIMEOUT_MS = 3_000;

@Injectable()
export class S3HealthIndicator {
  constructor(
    private readonly storage: S3StorageRepository,
    private readonly health: HealthIndicatorService,
  ) {}

  async isBucketReachable(key: string) {
    const indicator = this.health.check(key);
    const bucket = this.storage.outputBucket;
    try {
      await this.storage.checkBucket(bucket, AbortSignal.timeout(S3_CHECK_TIMEOUT_MS));
      return indicator.up({ bucket });
    } catch (e) {
      return indicator.down({ bucket, message: (e as Error).message });
    }
  }
}
