/* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is configured:
   a service without a collector pays for none of the SDK at boot. */
import type * as Api from '@opentelemetry/api';
import type * as Exporter from '@opentelemetry/exporter-trace-otlp-http';
import type * as Instrumentation from '@opentelemetry/instrumentation';
import type * as AwsSdk from '@opentelemetry/instrumentation-aws-sdk';
import type * as Express from '@opentelemetry/instrumentation-express';
import type * as Http from '@opentelemetry/instrumentation-http';
import type * as Pg from '@opentelemetry/instrumentation-pg';
import type * as Pino from '@opentelemetry/instrumentation-pino';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkTraceNode from '@opentelemetry/sdk-trace-node';

// Probes and scrapes arrive every few seconds from every replica: as traces they would drown the work.
const UNTRACED_PATHS = /^\/(health\/|metrics)/;

export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Traces over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set, else
 * nothing at all (no SDK, no hooks). The exporter reads the standard OTEL_* variables itself
 * (headers, timeout). Must run before the instrumented libraries are first required: the hooks
 * patch modules as they load, so main.ts imports this before anything else.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const { diag, DiagLogLevel } = require('@opentelemetry/api') as typeof Api;
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof Exporter;
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof Instrumentation;
  const { AwsInstrumentation } = require('@opentelemetry/instrumentation-aws-sdk') as typeof AwsSdk;
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express') as typeof Express;
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof Http;
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof Pg;
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino') as typeof Pino;
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof Resources;
  const { BatchSpanProcessor, NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof SdkTraceNode;
  diag.setLogger(
    {
      error: (m) => console.error(`tracing: ${m}`),
      warn: () => {},
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.ERROR,
  );
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME ?? 'batch-ingest',
      'service.version': serviceVersion(),
    }),
    // Batched and bounded: a collector that is down costs dropped spans, never memory or latency.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { maxQueueSize: 4096 })],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.test(req.url ?? '') }),
      new ExpressInstrumentation(),
      new PgInstrumentation(),
      new AwsInstrumentation(),
      // Puts trace_id / span_id on every log line written inside a span.
      new PinoInstrumentation(),
    ],
  });
  return { shutdown: () => provider.shutdown() };
}

function serviceVersion(): string {
  return (require('../../package.json') as { version: string }).version;
}
