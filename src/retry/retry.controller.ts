import { Controller, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { RetryQuery, RetryResponseDto } from './dto/retry.dto';
import { RetryService } from './retry.service';

@ApiTags('retry')
@Controller('v1/programs/:programId/retry')
export class RetryController {
  constructor(private readonly retries: RetryService) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: RetryResponseDto, description: 'the retry ran; counts per stage' })
  @ApiConflictResponse({ description: 'PROGRAM_BUSY: the program is being processed or retried right now' })
  @ApiTooManyRequestsResponse({
    description: 'RETRY_CAPACITY: MAX_CONCURRENT_RETRIES are running here; see Retry-After',
  })
  @ApiServiceUnavailableResponse({ description: 'SHUTTING_DOWN: this instance is draining; see Retry-After' })
  retry(@Param('programId') programId: string, @Query() q: RetryQuery): Promise<RetryResponseDto> {
    return this.retries.retryNow(programId, q.user_id, q.retry_type ?? 'all');
  }
}
