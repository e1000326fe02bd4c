import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, MikroOrmHealthIndicator } from '@nestjs/terminus';
import { OpenRoute } from '../common/auth/open-route';
import { ApiErrorResponses } from '../common/dto/api-responses';
import { ShuttingDownError } from '../common/errors/domain.error';
import { Lifecycle } from '../common/lifecycle';
import { HealthDto } from './dto/health.dto';
import { S3HealthIndicator } from './s3.health';

// Probes carry no credentials, and say nothing about anyone's data.
@ApiTags('health')
@OpenRoute()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: MikroOrmHealthIndicator,
    private readonly s3: S3HealthIndicator,
    private readonly lifecycle: Lifecycle,
  ) {}

  /** The process is up; says nothing about its dependencies (restart only when this fails). */
  @Get('live')
  // Terminus's own documentation describes a 503 body the exception filter never sends.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ operationId: 'live', summary: 'the process is up' })
  @ApiOkResponse({ type: HealthDto })
  live() {
    return this.health.check([]);
  }

  /** Database and output bucket reachable: 503 otherwise, so traffic goes elsewhere meanwhile. */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ operationId: 'ready', summary: 'the database and the output bucket answer' })
  @ApiOkResponse({ type: HealthDto })
  @ApiErrorResponses({
    503: { codes: ['SERVICE_UNAVAILABLE', 'SHUTTING_DOWN'], note: 'a dependency is down, or the instance is draining' },
  })
  ready() {
    // Draining after SIGTERM: 503 at once, so the load balancer stops sending traffic here.
    if (this.lifecycle.shuttingDown) throw new ShuttingDownError();
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 3_000 }),
      () => this.s3.isBucketReachable('storage'),
    ]);
  }
}
