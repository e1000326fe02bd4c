import { Module } from '@nestjs/common';
import { ConsoleAssets } from './console.assets';
import { ConsoleController } from './console.controller';

/**
 * The operator console: static files only. The page is a client of the public /v1 API like any
 * other, so this module imports no feature module and adds no endpoint of its own.
 */
@Module({
  controllers: [ConsoleController],
  providers: [ConsoleAssets],
})
export class ConsoleModule {}
