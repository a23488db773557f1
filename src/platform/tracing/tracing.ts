// OpenTelemetry traces, only when an OTLP endpoint is configured: spans are batched and sent as OTLP/HTTP (JSON) to
// <endpoint>/v1/traces. Without an endpoint startTracing returns null and none of the OpenTelemetry packages is
// even loaded (they are required here, on demand; only their types are imported above).
//
// Trace context crosses the queue as W3C trace context (traceparent, tracestate) in the job's data: carrier() reads
// the active span's, and inSpan(…, { parent }) continues it in the process that runs the job.
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type * as OtlpExporter from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as NodeSdk from '@opentelemetry/sdk-trace-node';

/** W3C trace context, as it travels in job data. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

export interface ActiveSpan {
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed with this error. */
  fail(err: unknown): void;
  updateName(name: string): void;
  /** The span's trace id (32 hex digits). */
  readonly traceId: string;
}

export interface Tracing {
  /**
   * Runs `fn` in a new span, ended when it settles (failed if it throws). Its parent is `parent` (a carrier from job
   * data or request headers) when given and valid, else the active span, else none.
   */
  inSpan<T>(
    name: string,
    opts: { attributes?: SpanAttributes; parent?: unknown; kind?: 'server' | 'consumer' | 'internal' },
    fn: (span: ActiveSpan) => Promise<T>,
  ): Promise<T>;
  /** The active span's context as a carrier (undefined outside a span). */
  carrier(): TraceCarrier | undefined;
  /** The active span (undefined outside a span). */
  active(): ActiveSpan | undefined;
  /** Sends the spans still buffered. */
  flush(): Promise<void>;
  /** Flushes; the last holder of the process-wide provider shuts it down. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (spans go to <endpoint>/v1/traces). */
  endpoint: string | undefined;
  serviceName: string;
  /** Resource attributes besides service.name (service.version, the process role, …). */
  resource?: Readonly<Record<string, string>>;
  /** How long spans are buffered before a batch is sent (default 2 s). */
  batchDelayMs?: number;
}

const requireModule = createRequire(import.meta.url);

/** The process has one tracer provider (the OpenTelemetry API's globals); every startTracing shares it. */
let shared:
  | { provider: NodeSdk.NodeTracerProvider; api: typeof OtelApi; endpoint: string; holders: number }
  | undefined;

function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

function isCarrier(v: unknown): v is TraceCarrier {
  return typeof v === 'object' && v !== null && typeof (v as { traceparent?: unknown }).traceparent === 'string';
}

export function startTracing(opts: TracingOptions): Tracing | null {
  if (!opts.endpoint) return null;
  if (!shared) {
    const api = requireModule('@opentelemetry/api') as typeof OtelApi;
    const sdk = requireModule('@opentelemetry/sdk-trace-node') as typeof NodeSdk;
    const { OTLPTraceExporter } = requireModule('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpExporter;
    const { resourceFromAttributes } = requireModule('@opentelemetry/resources') as typeof Resources;
    const exporter = new OTLPTraceExporter({ url: tracesUrl(opts.endpoint) });
    const provider = new sdk.NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': opts.serviceName, ...opts.resource }),
      spanProcessors: [new sdk.BatchSpanProcessor(exporter, { scheduledDelayMillis: opts.batchDelayMs ?? 2_000 })],
    });
    // The W3C propagator and an AsyncLocalStorage context manager: the active span follows awaits.
    provider.register();
    shared = { provider, api, endpoint: opts.endpoint, holders: 0 };
  }
  const { api, provider } = shared;
  shared.holders += 1;
  const tracer = api.trace.getTracer('chimera');
  const KINDS = { server: api.SpanKind.SERVER, consumer: api.SpanKind.CONSUMER, internal: api.SpanKind.INTERNAL };
  let released = false;

  const handleOf = (span: OtelApi.Span): ActiveSpan => ({
    setAttributes: (a) => span.setAttributes(clean(a)),
    fail: (err) => {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : undefined });
    },
    updateName: (n) => span.updateName(n),
    traceId: span.spanContext().traceId,
  });

  return {
    active() {
      const span = api.trace.getActiveSpan();
      return span ? handleOf(span) : undefined;
    },
    inSpan(name, o, fn) {
      const parent = isCarrier(o.parent) ? api.propagation.extract(api.ROOT_CONTEXT, o.parent) : api.context.active();
      return tracer.startActiveSpan(
        name,
        { kind: KINDS[o.kind ?? 'internal'], attributes: clean(o.attributes) },
        parent,
        async (span) => {
          const handle = handleOf(span);
          try {
            return await fn(handle);
          } catch (err) {
            handle.fail(err);
            throw err;
          } finally {
            span.end();
          }
        },
      );
    },
    carrier() {
      if (!api.trace.getSpan(api.context.active())) return undefined;
      const out: Record<string, string> = {};
      api.propagation.inject(api.context.active(), out);
      return out.traceparent
        ? { traceparent: out.traceparent, ...(out.tracestate ? { tracestate: out.tracestate } : {}) }
        : undefined;
    },
    flush: () => provider.forceFlush(),
    async shutdown() {
      if (released) return;
      released = true;
      await provider.forceFlush();
      if (!shared) return;
      shared.holders -= 1;
      if (shared.holders === 0) {
        const last = shared;
        shared = undefined;
        await last.provider.shutdown();
        last.api.trace.disable();
        last.api.context.disable();
        last.api.propagation.disable();
      }
    },
  };
}

function clean(attributes: SpanAttributes | undefined): OtelApi.Attributes {
  const out: OtelApi.Attributes = {};
  for (const [k, v] of Object.entries(attributes ?? {})) if (v !== undefined) out[k] = v;
  return out;
}
