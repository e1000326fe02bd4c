import { DynamicModule, Global, Injectable, Module } from '@nestjs/common';

/** Time as the service sees it; injectable so tests move it instead of waiting. */
export abstract class Clock {
  abstract now(): Date;
}

@Injectable()
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

@Global()
@Module({})
export class ClockModule {
  /** The system clock unless a test hands in one it controls. */
  static forRoot(clock?: Clock): DynamicModule {
    return {
      module: ClockModule,
      providers: [clock ? { provide: Clock, useValue: clock } : { provide: Clock, useClass: SystemClock }],
      exports: [Clock],
    };
  }
}
