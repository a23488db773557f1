// What the API tells about itself: GET /metrics (Prometheus text, behind METRICS_TOKEN when set); per request the
// HTTP series and a sample for the system monitor; per GraphQL operation its duration and error codes (by operation
// name and type — never variables), rate-limit refusals, and an OpenTelemetry span when traces are on; and every log
// line written while serving a request carries its requestId. The plugin goes first in the list, so it times and
// sees every operation, also those a later plugin answers early (a cache hit, a rate-limit refusal).
//
// loadSheddingPlugin, placed after the response cache, refuses optional load while the system monitor asks for it
// (escalation level 2): new subscriptions, and anonymous queries the response cache could not answer.
import { performance } from 'node:perf_hooks';
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type OperationTypeNode,
} from 'graphql';
import { isAsyncIterable, type Plugin, type PromiseOrValue } from 'graphql-yoga';
import { isServerFault } from '../../domain/operations/system-monitor.js';
import { withLogContext } from '../../platform/log/logger.js';
import { answerScrape } from '../../platform/metrics/endpoint.js';
import { type Metrics, routeClassOf } from '../../platform/metrics/registry.js';
import type { Tracing } from '../../platform/tracing/tracing.js';
import type { Context } from '../context.js';

export interface ObservabilityOptions {
  /** The registry /metrics serves (null: no metrics, no /metrics). */
  metrics: Metrics | null;
  /** When set, /metrics wants `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
  tracing: Tracing | null;
  /** The request id of a request (given in x-request-id, or assigned). */
  requestIdOf: (request: Request) => string;
  /** Each request answered on a serving route (GraphQL, webhooks, MCP), for the system monitor. */
  onRequestSample?: (sample: { durationMs: number; error: boolean }) => void;
  onError?: (err: unknown) => void;
}

type WithRequest = Context & { request?: Request };

/** The routes whose answers the system monitor judges (not probes, not /metrics itself). */
const SERVING_ROUTES = new Set(['graphql', 'webhooks', 'mcp']);

interface OperationInfo {
  name: string | null;
  type: OperationTypeNode | 'unknown';
}

function operationOf(document: DocumentNode, operationName: string | null | undefined): OperationInfo {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
  return { name: op?.name?.value ?? operationName ?? null, type: op?.operation ?? 'unknown' };
}

/**
 * The codes of a result's errors. Over HTTP they are masked and coded already; over graphql-ws they are seen before
 * the mask, so a domain error's own code is taken (what the mask will make of it), and anything uncoded is what the
 * mask turns into INTERNAL_SERVER_ERROR.
 */
const codesOf = (result: ExecutionResult): string[] =>
  (result.errors ?? []).map((e) => {
    const code = (e as { extensions?: { code?: unknown } }).extensions?.code;
    if (typeof code === 'string') return code;
    const own = (e as { originalError?: { code?: unknown } }).originalError?.code;
    return typeof own === 'string' && /^[A-Z][A-Z_]+$/.test(own) ? own : 'INTERNAL_SERVER_ERROR';
  });

/** Requests refused on purpose while shedding load (not counted as server errors). */
const shedRequests = new WeakSet<Request>();

export function observabilityPlugin(opts: ObservabilityOptions): Plugin<WithRequest> {
  const { metrics, tracing } = opts;
  const starts = new WeakMap<Request, number>();
  /** Every error code of a request's results (a batch: all of its operations'). */
  const requestCodes = new WeakMap<Request, string[]>();
  const codesFor = (request: Request | undefined, codes: readonly string[]) => {
    if (!request || codes.length === 0) return;
    const seen = requestCodes.get(request);
    if (seen) seen.push(...codes);
    else requestCodes.set(request, [...codes]);
  };

  /** An operation's name, type and time, kept from its execution until its (masked) result is seen. */
  const done = new WeakMap<object, { info: OperationInfo; seconds: number }>();

  const record = (request: Request | undefined, info: OperationInfo, seconds: number, result: unknown) => {
    const r = result && typeof result === 'object' && !isAsyncIterable(result) ? (result as ExecutionResult) : null;
    const codes = r ? codesOf(r) : [];
    metrics?.graphqlOperation({ operation: info.name, type: info.type, seconds, errorCodes: codes });
    for (const e of r?.errors ?? []) {
      const ext = (e as { extensions?: { code?: unknown; limit?: unknown } }).extensions;
      if (ext?.code === 'RATE_LIMITED') metrics?.rateLimited(typeof ext.limit === 'string' ? ext.limit : 'unknown');
    }
    codesFor(request, codes);
  };
  /**
   * Over HTTP the result is recorded in onExecutionResult, after yoga masked its errors (and coded them); over
   * graphql-ws there is no such hook, so it is recorded when execution is done (codes as the error carries them).
   */
  const finished = (
    ctx: WithRequest & { transport?: string },
    info: OperationInfo,
    started: number,
    result: unknown,
  ) => {
    const seconds = elapsed(started);
    if (ctx.transport === 'graphql-ws') record(undefined, info, seconds, result);
    else done.set(ctx, { info, seconds });
  };

  const span = (context: WithRequest, wrapped: () => PromiseOrValue<void>): PromiseOrValue<void> => {
    if (!tracing) return wrapped();
    const traceparent = context.request?.headers.get('traceparent');
    const tracestate = context.request?.headers.get('tracestate');
    return tracing.inSpan(
      'graphql.operation',
      {
        kind: 'server',
        parent: traceparent ? { traceparent, ...(tracestate ? { tracestate } : {}) } : undefined,
        attributes: { 'chimera.request_id': context.requestId },
      },
      async () => {
        await wrapped();
      },
    );
  };
  const nameSpan = (info: OperationInfo) => {
    // The operation's span is the active one here (instrumentation.execute/subscribe wraps these hooks).
    tracing?.active()?.updateName(`${info.type} ${info.name ?? 'anonymous'}`);
    tracing?.active()?.setAttributes({
      'graphql.operation.name': info.name ?? undefined,
      'graphql.operation.type': info.type,
    });
  };

  return {
    instrumentation: {
      // Everything written while this request is served carries its id.
      request: ({ request }, wrapped) => withLogContext({ requestId: opts.requestIdOf(request) }, wrapped),
      execute: ({ context }, wrapped) => span(context, wrapped),
      subscribe: ({ context }, wrapped) => span(context, wrapped),
    },

    async onRequest({ request, url, endResponse }) {
      starts.set(request, performance.now());
      if (url.pathname !== '/metrics' || !metrics) return;
      if (request.method !== 'GET') {
        endResponse(new Response('Use GET /metrics.\n', { status: 405, headers: { allow: 'GET' } }));
        return;
      }
      try {
        const answer = await answerScrape(metrics, opts.metricsToken, request.headers.get('authorization'));
        endResponse(new Response(answer.body, { status: answer.status, headers: answer.headers }));
      } catch (err) {
        opts.onError?.(err);
        endResponse(new Response('metrics collection failed\n', { status: 500 }));
      }
    },

    onExecute({ args }) {
      const info = operationOf(args.document, args.operationName);
      nameSpan(info);
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          finished(args.contextValue, info, started, result);
        },
      };
    },

    onSubscribe({ args }) {
      const info = operationOf(args.document, args.operationName);
      nameSpan(info);
      const started = performance.now();
      return {
        onSubscribeResult({ result }) {
          finished(args.contextValue, info, started, result);
        },
      };
    },

    // Every operation's result over HTTP, its errors masked and coded; parse and validation errors (and
    // trusted-document refusals) never reached execute, and count as an operation of unknown name and type.
    onExecutionResult({ request, result, context }) {
      const seen = done.get(context);
      done.delete(context);
      record(request, seen?.info ?? { name: null, type: 'unknown' }, seen?.seconds ?? 0, result);
    },

    onResponse({ request, response }) {
      const started = starts.get(request);
      if (started === undefined) return;
      const url = new URL(request.url);
      const route = routeClassOf(url.pathname);
      const seconds = elapsed(started);
      metrics?.httpRequest({ method: request.method, route, status: response.status, seconds });
      const type = response.headers.get('content-type') ?? '';
      // A stream (SSE, multipart subscription) is no request/response exchange to time.
      if (!SERVING_ROUTES.has(route) || type.includes('text/event-stream') || type.includes('multipart/mixed')) return;
      opts.onRequestSample?.({
        durationMs: seconds * 1000,
        error: isServerFault({
          status: response.status,
          errorCodes: requestCodes.get(request) ?? [],
          shed: shedRequests.has(request),
        }),
      });
    },
  };
}

const elapsed = (started: number) => (performance.now() - started) / 1000;

/** The refusal while shedding: 503 with Retry-After, coded SERVICE_OVERLOADED. */
function overloaded(what: string, retryAfterSeconds: number) {
  return {
    errors: [
      new GraphQLError(`The service is shedding load: ${what}. Retry in ${retryAfterSeconds} s.`, {
        extensions: {
          code: 'SERVICE_OVERLOADED',
          retryAfterSeconds,
          http: { status: 503, headers: { 'retry-after': String(retryAfterSeconds) } },
        },
      }),
    ],
  };
}

export function loadSheddingPlugin(opts: {
  /** True while the system monitor asks to shed optional load. */
  shedding: () => boolean;
  metrics: Metrics | null;
  retryAfterSeconds?: number;
}): Plugin<WithRequest> {
  const retry = opts.retryAfterSeconds ?? 30;
  const shed = (ctx: WithRequest, kind: string) => {
    if (ctx.request) shedRequests.add(ctx.request);
    opts.metrics?.loadShed(kind);
  };
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      if (!opts.shedding()) return;
      shed(args.contextValue, 'subscription');
      setResultAndStopExecution(overloaded('new subscriptions are refused for now', retry));
    },
    onExecute({ args, setResultAndStopExecution }) {
      if (!opts.shedding() || args.contextValue.principal !== null) return;
      if (operationOf(args.document, args.operationName).type !== 'query') return;
      // Placed after the response cache: what reaches here is an anonymous query the cache could not answer.
      shed(args.contextValue, 'anonymous_query');
      setResultAndStopExecution(overloaded('anonymous queries are served from the cache only', retry));
    },
  };
}
