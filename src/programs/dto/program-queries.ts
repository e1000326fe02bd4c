import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PagedQuery } from '../../common/dto/user-scoped.query';
import type { FailureStage } from '../program.types';

export class FailuresQuery extends PagedQuery {
  @ApiPropertyOptional({ enum: ['preprocessing', 'document'] })
  @IsOptional()
  @IsIn(['preprocessing', 'document'], {
    message: 'stage must be preprocessing or document',
    context: { code: 'INVALID_STAGE' },
  })
  stage?: FailureStage;
}
