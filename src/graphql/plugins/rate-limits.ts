// Rate limits on every GraphQL operation (HTTP, SSE and graphql-ws alike), before it runs: the caller's identity
// window, its in-flight slots, and the global window of each operation group the operation touches (the spec's
// /api/v1/agents and /api/v1/content, mapped onto root fields; src/domain/security/rate-limit.ts has the numbers).
// Every HTTP response carries the spec's headers for the window with the least room left:
//   X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset (Unix seconds), and when refused
//   X-RateLimit-Retry-After and Retry-After (seconds), with HTTP 429 and a RATE_LIMITED error. A refused operation
//   does no work and uses none of the budget.
import { type DocumentNode, GraphQLError, Kind, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { identityKindOf, type RateLimitDecision } from '../../domain/security/rate-limit.js';
import type { Context } from '../context.js';

/** Root fields by operation group (every operation is also in "all"). */
export const OPERATION_GROUPS: Readonly<Record<string, readonly string[]>> = {
  agents: [
    'agent',
    'agents',
    'persona',
    'personas',
    'createAgent',
    'updateAgent',
    'activateAgent',
    'deactivateAgent',
    'createPersona',
    'updatePersona',
    'agentStateChanged',
  ],
  content: [
    'content',
    'contents',
    'interactions',
    'reviewItems',
    'setContentStatus',
    'resolveContentFlag',
    'approveReview',
    'rejectReview',
    'requestChanges',
    'reviewItemAdded',
  ],
};

const GROUP_OF_FIELD = new Map(
  Object.entries(OPERATION_GROUPS).flatMap(([group, fields]) => fields.map((f) => [f, group] as const)),
);

function operationOf(document: DocumentNode, name: string | null | undefined): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return name ? ops.find((o) => o.name?.value === name) : ops[0];
}

/** The groups an operation's root fields belong to. */
export function groupsOf(document: DocumentNode, operationName?: string | null): string[] {
  const groups = new Set<string>();
  for (const sel of operationOf(document, operationName)?.selectionSet.selections ?? []) {
    const group = sel.kind === Kind.FIELD ? GROUP_OF_FIELD.get(sel.name.value) : undefined;
    if (group) groups.add(group);
  }
  return [...groups];
}

const decisions = new WeakMap<Request, RateLimitDecision>();

function remember(request: Request | undefined, decision: RateLimitDecision) {
  if (!request) return;
  const prev = decisions.get(request);
  // A batch reports its tightest window, and a refusal over any admission.
  if (!prev || (!decision.allowed && prev.allowed) || decision.binding.remaining < prev.binding.remaining) {
    decisions.set(request, decision);
  }
}

function refusal(message: string, limit: string, retryAfterSeconds: number) {
  return {
    errors: [
      new GraphQLError(message, {
        extensions: {
          code: 'RATE_LIMITED',
          limit,
          retryAfterSeconds,
          // Retry-After and the X-RateLimit-* headers are set in onResponse (once, for the whole request).
          http: { status: 429 },
        },
      }),
    ],
  };
}

type WithRequest = Context & { request?: Request };

async function admit(ctx: WithRequest, document: DocumentNode, operationName: string | null | undefined) {
  const kind = identityKindOf(ctx.principal);
  const subject = ctx.principal?.subject ?? `ip:${ctx.meta.ip ?? 'unknown'}`;
  const decision = await ctx.services.rateLimiter.hit(subject, kind, groupsOf(document, operationName));
  remember(ctx.request, decision);
  if (decision.allowed) return null;
  const b = decision.binding;
  return refusal(
    `Rate limit exceeded: ${b.limit} ${b.name}. Retry in ${decision.retryAfterSeconds} s.`,
    b.name,
    decision.retryAfterSeconds,
  );
}

export const rateLimitsPlugin: Plugin<WithRequest> = {
  async onExecute({ args, setResultAndStopExecution }) {
    const ctx = args.contextValue;
    const limiter = ctx.services.rateLimiter;
    const kind = identityKindOf(ctx.principal);
    const subject = ctx.principal?.subject ?? `ip:${ctx.meta.ip ?? 'unknown'}`;
    // In-flight first: a request refused for concurrency uses none of its minute.
    const release = await limiter.acquire(subject, kind);
    if (!release) {
      const n = limiter.settings.identities[kind].concurrent;
      setResultAndStopExecution(refusal(`Too many requests at once: at most ${n} in flight.`, 'concurrentRequests', 1));
      return;
    }
    const refused = await admit(ctx, args.document, args.operationName).catch(async (err: unknown) => {
      await release();
      throw err;
    });
    if (refused) {
      await release();
      setResultAndStopExecution(refused);
      return;
    }
    return {
      onExecuteDone() {
        void release().catch(() => undefined);
      },
    };
  },
  async onSubscribe({ args, setResultAndStopExecution }) {
    // Opening a stream is one request; it holds no in-flight slot (it may live for hours).
    const refused = await admit(args.contextValue, args.document, args.operationName);
    if (refused) setResultAndStopExecution(refused);
  },
  onResponse({ request, response }) {
    const decision = decisions.get(request);
    if (!decision) return;
    const b = decision.binding;
    response.headers.set('X-RateLimit-Limit', String(b.limit));
    response.headers.set('X-RateLimit-Remaining', String(b.remaining));
    response.headers.set('X-RateLimit-Reset', String(Math.ceil(b.resetAt / 1000)));
    if (!decision.allowed) {
      response.headers.set('X-RateLimit-Retry-After', String(decision.retryAfterSeconds));
      response.headers.set('Retry-After', String(decision.retryAfterSeconds));
    }
  },
};
