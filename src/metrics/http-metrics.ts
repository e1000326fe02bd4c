import type { NextFunction, Request, Response } from 'express';
import type { MetricsService } from './metrics.service';

const CATCH_ALL = /^\/\{\*[^}]*\}$/;

/**
 * Counts and times every answered request. Registered before the body parser and the routes, so
 * refused bodies (413) and unknown paths (404) are counted too. The route label is Express's route
 * template, read once the answer is sent (the router sets it while matching); requests no route
 * matched share one label, so probing random paths cannot grow the series.
 */
export function httpMetrics(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const template = (req.route as { path?: unknown } | undefined)?.path;
      // Nest answers unknown paths from a catch-all route of its own (`/{*path}`): that is no route.
      const route =
        typeof template === 'string' && !CATCH_ALL.test(template) ? `${req.baseUrl}${template}` : 'unmatched';
      metrics.httpRequest(req.method, route, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
