import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsListener } from './metrics.listener';
import { MetricsService } from './metrics.service';

/** Shared infrastructure (like storage): any module may count through MetricsService. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsListener],
  exports: [MetricsService],
})
export class MetricsModule {}
