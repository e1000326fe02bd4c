import { ApiProperty } from '@nestjs/swagger';

/** Each check by name (`database`, `storage`); a check may add fields of its own (`bucket`, `message`). */
const CHECK = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['up', 'down'] } },
  additionalProperties: true,
};
const CHECKS = { type: 'object' as const, additionalProperties: CHECK };

/** A passed health check (a failed one answers the ErrorDto shape, like every error). */
export class HealthDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ ...CHECKS, example: { database: { status: 'up' } } }) info!: Record<string, { status: string }>;
  @ApiProperty({ ...CHECKS, example: {} }) error!: Record<string, { status: string }>;
  @ApiProperty({ ...CHECKS, example: { database: { status: 'up' } } }) details!: Record<string, { status: string }>;
}
