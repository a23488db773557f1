// The response cache, in Redis and shared by every API process, and the HTTP caching headers it decides.
//   what    queries whose every field may be cached (cache-policy.ts); not mutations, subscriptions or results
//           with errors
//   scope   an anonymous result is public (one entry for everyone, cacheable at the edge); anything else is cached
//           for that caller only — per subject (user or API key) and whether its session passed MFA — and tagged with
//           the subject, so a change to the user or key drops it
//   key     sha256 of the scope, the printed document, the operation name and the variables
//   tags    the entities in the result, the lists the query selects, the scope: writes drop them by tag
// Headers on every GraphQL response:
//   Cache-Control  public, max-age=0, s-maxage=<ttl>, stale-while-revalidate=<ttl/10> for public cacheable results;
//                  private, no-store for anything tied to a caller; no-store for the rest
//   ETag (and 304 Not Modified for a GET whose If-None-Match matches), X-Chimera-Cache: HIT | MISS | BYPASS, and for
//   public results the tags as Surrogate-Key (Fastly), Cache-Tag (Cloudflare) and xkey (Varnish)
import { createHash } from 'node:crypto';
import { type DocumentNode, type ExecutionResult, type GraphQLSchema, print } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { scopeTag } from '../../domain/cache/invalidation.js';
import type { ResponseStore } from '../../platform/cache/response-store.js';
import { type CachePolicy, entityTagsOf, policyOf } from '../cache-policy.js';
import type { Context } from '../context.js';

interface CacheInfo {
  status: 'HIT' | 'MISS' | 'BYPASS';
  publicScope: boolean;
  ttlSeconds: number;
  tags: string[];
}

type WithRequest = Context & { request?: Request };

/** A stable JSON text (sorted keys), so equal variables give one key. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// yoga reuses the parsed document of a repeated operation: its printed text and its policy are computed once.
const printed = new WeakMap<DocumentNode, string>();
const printOnce = (document: DocumentNode) => {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
};
const policies = new WeakMap<DocumentNode, Map<string, CachePolicy>>();
function policyOnce(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined) {
  let byName = policies.get(document);
  if (!byName) {
    byName = new Map();
    policies.set(document, byName);
  }
  let policy = byName.get(operationName ?? '');
  if (!policy) {
    policy = policyOf(schema, document, operationName);
    byName.set(operationName ?? '', policy);
  }
  return policy;
}

/** The combined decision of a request's operations (a batch: the strictest). */
function combine(a: CacheInfo | undefined, b: CacheInfo): CacheInfo {
  if (!a) return b;
  return {
    status:
      a.status === 'BYPASS' || b.status === 'BYPASS'
        ? 'BYPASS'
        : a.status === 'MISS' || b.status === 'MISS'
          ? 'MISS'
          : 'HIT',
    publicScope: a.publicScope && b.publicScope,
    ttlSeconds: Math.min(a.ttlSeconds, b.ttlSeconds),
    tags: [...new Set([...a.tags, ...b.tags])],
  };
}

export function responseCachePlugin(opts: {
  store: ResponseStore;
  enabled: boolean;
  /** Resolves once the writes committed so far have invalidated what they change (the change feed's barrier). */
  afterWrite: () => Promise<void>;
  onError?: (err: unknown) => void;
  /** Each lookup of a cacheable operation: answered from the cache (hit) or not (miss). */
  onLookup?: (result: 'hit' | 'miss') => void;
}): Plugin<WithRequest> {
  const infos = new WeakMap<Request, CacheInfo>();
  const etags = new WeakMap<Request, string>();
  const record = (request: Request | undefined, info: CacheInfo) => {
    if (request) infos.set(request, combine(infos.get(request), info));
  };

  return {
    async onExecute({ args, setResultAndStopExecution, executeFn, setExecuteFn }) {
      const ctx = args.contextValue;
      const policy = policyOnce(args.schema, args.document, args.operationName);
      if (policy.write) {
        // Read-your-writes: a mutation answers only once what it changed is out of the caches.
        setExecuteFn(async (executeArgs) => {
          const result = await executeFn(executeArgs);
          await opts.afterWrite().catch((err: unknown) => opts.onError?.(err));
          return result;
        });
      }
      const publicScope = ctx.principal === null;
      const bypass = { status: 'BYPASS' as const, publicScope, ttlSeconds: 0, tags: [] };
      if (!opts.enabled || !policy.cacheable) {
        record(ctx.request, bypass);
        return;
      }
      const scope = ctx.principal
        ? `${ctx.principal.subject}|mfa=${ctx.principal.session?.amr?.some((m) => m !== 'pwd') ?? false}`
        : 'public';
      const key = sha256(
        `${scope}\n${printOnce(args.document)}\n${args.operationName ?? ''}\n${stable(args.variableValues ?? {})}`,
      );
      const store = opts.store;
      const [generation, hit] = await Promise.all([store.generation(), store.get(key)]).catch((err: unknown) => {
        opts.onError?.(err);
        return [null, null] as const;
      });
      if (generation === null) {
        record(ctx.request, bypass); // Redis is not answering: serve uncached.
        return;
      }
      opts.onLookup?.(hit ? 'hit' : 'miss');
      if (hit) {
        record(ctx.request, {
          status: 'HIT',
          publicScope: hit.publicScope,
          ttlSeconds: hit.ttlSeconds,
          tags: hit.tags,
        });
        setResultAndStopExecution(JSON.parse(hit.body) as ExecutionResult);
        return;
      }
      return {
        onExecuteDone({ result }) {
          const r = result as ExecutionResult;
          if (!r || typeof r !== 'object' || Symbol.asyncIterator in r || r.errors?.length) {
            record(ctx.request, bypass);
            return;
          }
          const tags = [
            ...new Set([
              ...policy.tags,
              ...entityTagsOf(r.data),
              ...ctx.cacheTags,
              ...(ctx.principal ? [scopeTag(ctx.principal.subject)] : []),
            ]),
          ];
          const entry = { body: JSON.stringify(r), ttlSeconds: policy.ttlSeconds, tags, publicScope };
          record(ctx.request, { status: 'MISS', publicScope, ttlSeconds: policy.ttlSeconds, tags });
          void store.set(key, entry, generation).catch((err: unknown) => opts.onError?.(err));
        },
      };
    },

    onResultProcess({ request, result, setResultProcessor }) {
      if (Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      const etag = `W/"${sha256(JSON.stringify(result)).slice(0, 32)}"`;
      etags.set(request, etag);
      const match = request.headers.get('if-none-match');
      if ((request.method === 'GET' || request.method === 'HEAD') && match && match.split(/\s*,\s*/).includes(etag)) {
        setResultProcessor(() => new Response(null, { status: 304 }), 'application/json');
      }
    },

    onResponse({ request, response }) {
      const info = infos.get(request);
      const etag = etags.get(request);
      if (etag) response.headers.set('etag', etag);
      if (!info) return;
      response.headers.set('x-chimera-cache', info.status);
      if (response.status >= 400 && response.status !== 304) {
        response.headers.set('cache-control', 'no-store');
        return;
      }
      if (info.status === 'BYPASS' || info.ttlSeconds <= 0) {
        response.headers.set('cache-control', info.publicScope ? 'no-store' : 'private, no-store');
        return;
      }
      if (!info.publicScope) {
        response.headers.set('cache-control', 'private, no-store');
        return;
      }
      const ttl = info.ttlSeconds;
      response.headers.set(
        'cache-control',
        `public, max-age=0, s-maxage=${ttl}, stale-while-revalidate=${Math.max(1, Math.floor(ttl / 10))}`,
      );
      response.headers.set('surrogate-key', info.tags.join(' '));
      response.headers.set('cache-tag', info.tags.join(','));
      response.headers.set('xkey', info.tags.join(' '));
    },
  };
}
