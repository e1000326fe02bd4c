import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OpenRoute } from '../common/auth/open-route';
import { ApiErrorResponses } from '../common/dto/api-responses';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsService } from './metrics.service';

// Not a user's call: no user identity, its own token (METRICS_TOKEN) when one is set.
@ApiTags('operations')
@ApiBearerAuth('metrics-token')
@OpenRoute()
@UseGuards(MetricsTokenGuard)
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ operationId: 'metrics', summary: 'Prometheus metrics' })
  @ApiOkResponse({ description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrorResponses({
    401: { codes: ['UNAUTHENTICATED'], note: 'METRICS_TOKEN is set and the Bearer token is missing or wrong' },
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
