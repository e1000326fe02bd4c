import { SetMetadata } from '@nestjs/common';

export const OPEN_ROUTE = 'batch-ingest:open-route';

/**
 * Served without an identity: the identity guard lets every other route through only with one, so
 * a controller added later is closed until someone decides otherwise. Health probes, the console's
 * static files (they hold no data) and /metrics (it has a token of its own) are open.
 */
export const OpenRoute = (): ClassDecorator & MethodDecorator => SetMetadata(OPEN_ROUTE, true);
