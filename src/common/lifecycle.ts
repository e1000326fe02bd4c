import { Global, Injectable, Module } from '@nestjs/common';

/**
 * Whether this replica is on its way out. SIGTERM flips it before anything is torn down, so
 * readiness answers 503 at once (traffic moves elsewhere) and no new work is started here, while
 * work in flight drains within SHUTDOWN_GRACE_MS.
 */
@Injectable()
export class Lifecycle {
  private draining = false;

  get shuttingDown(): boolean {
    return this.draining;
  }

  beginShutdown(): void {
    this.draining = true;
  }
}

@Global()
@Module({ providers: [Lifecycle], exports: [Lifecycle] })
export class LifecycleModule {}
