import { startTracing } from './tracing';

/**
 * Imported first by main.ts, for its side effect: tracing (when configured) starts before the
 * libraries it instruments are loaded. Shut down by main.ts after the application has closed.
 */
export const tracing = startTracing();
