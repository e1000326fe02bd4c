import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { METRICS_HANDLERS } from './metrics.handlers';
import { MetricsService } from './metrics.service';

/** Shared infrastructure (like storage): any module may count through MetricsService. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, ...METRICS_HANDLERS],
  exports: [MetricsService],
})
export class MetricsModule {}
