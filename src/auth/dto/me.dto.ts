import { ApiProperty } from '@nestjs/swagger';
import { AUTH_MODES, type AuthMode } from '../../config/app-config';

export class MeDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'the identity every call is made as; null with AUTH_MODE=none and no user_id',
  })
  user_id!: string | null;
  @ApiProperty({ description: "reads and acts on every user's programs" }) admin!: boolean;
  @ApiProperty({ enum: AUTH_MODES, enumName: 'AuthMode' }) auth_mode!: AuthMode;
}
