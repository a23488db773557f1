// Purging the edge by tag. Chimera labels every cacheable response with the entity and list tags it depends on
// (Surrogate-Key for Fastly, Cache-Tag for Cloudflare, xkey for Varnish); when a write changes one of them, the purger
// asks the edge to drop exactly the objects with that tag. Three implementations and none:
//   varnish     PURGE <VARNISH_URL> with `xkey-purge: <tags…>` (the shipped VCL, edge/varnish/chimera.vcl)
//   fastly      POST {api}/service/{id}/purge with `Surrogate-Key: <tags…>` and Fastly-Key
//   cloudflare  POST {api}/zones/{zone}/purge_cache {"tags": […]} with a Bearer token
// A purge is sent twice: now, and again a moment later, because an edge may still be storing a response that was
// fetched before the write committed.

export interface EdgePurger {
  readonly name: string;
  purge(tags: readonly string[]): Promise<void>;
}

export class PurgeError extends Error {
  override name = 'PurgeError';
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function send(name: string, url: string, init: RequestInit, timeoutMs: number) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }).catch((err: unknown) => {
    throw new PurgeError(`${name} purge failed: ${err instanceof Error ? err.message : String(err)}`);
  });
  const body = await res.text();
  if (!res.ok) throw new PurgeError(`${name} purge answered ${res.status}: ${body.slice(0, 200)}`);
}

export function createVarnishPurger(o: { url: string; timeoutMs?: number }): EdgePurger {
  return {
    name: 'varnish',
    async purge(tags) {
      for (const part of chunks(tags, 100)) {
        await send(
          'varnish',
          o.url,
          { method: 'PURGE', headers: { 'xkey-purge': part.join(' ') } },
          o.timeoutMs ?? 5_000,
        );
      }
    },
  };
}

export function createFastlyPurger(o: {
  serviceId: string;
  apiToken: string;
  apiUrl?: string;
  timeoutMs?: number;
}): EdgePurger {
  const url = `${o.apiUrl ?? 'https://api.fastly.com'}/service/${encodeURIComponent(o.serviceId)}/purge`;
  return {
    name: 'fastly',
    async purge(tags) {
      for (const part of chunks(tags, 256)) {
        await send(
          'fastly',
          url,
          {
            method: 'POST',
            headers: { 'fastly-key': o.apiToken, 'surrogate-key': part.join(' '), accept: 'application/json' },
          },
          o.timeoutMs ?? 5_000,
        );
      }
    },
  };
}

export function createCloudflarePurger(o: {
  zoneId: string;
  apiToken: string;
  apiUrl?: string;
  timeoutMs?: number;
}): EdgePurger {
  const url = `${o.apiUrl ?? 'https://api.cloudflare.com/client/v4'}/zones/${encodeURIComponent(o.zoneId)}/purge_cache`;
  return {
    name: 'cloudflare',
    async purge(tags) {
      for (const part of chunks(tags, 30)) {
        await send(
          'cloudflare',
          url,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${o.apiToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ tags: part }),
          },
          o.timeoutMs ?? 5_000,
        );
      }
    },
  };
}

/** Purges now and again after `delayMs` (what an edge stored from a fetch that raced the write goes too). */
export function withRepurge(purger: EdgePurger, delayMs: number, onError?: (err: unknown) => void): EdgePurger {
  if (delayMs <= 0) return purger;
  return {
    name: purger.name,
    async purge(tags) {
      await purger.purge(tags);
      setTimeout(() => void purger.purge(tags).catch((err: unknown) => onError?.(err)), delayMs).unref();
    },
  };
}

export type EdgeSettings =
  | { kind: 'none' }
  | { kind: 'varnish'; url: string }
  | { kind: 'fastly'; serviceId: string; apiToken: string; apiUrl?: string }
  | { kind: 'cloudflare'; zoneId: string; apiToken: string; apiUrl?: string };

export function createEdgePurger(settings: EdgeSettings & { repurgeMs: number }, onError?: (err: unknown) => void) {
  const base =
    settings.kind === 'varnish'
      ? createVarnishPurger(settings)
      : settings.kind === 'fastly'
        ? createFastlyPurger(settings)
        : settings.kind === 'cloudflare'
          ? createCloudflarePurger(settings)
          : null;
  return base ? withRepurge(base, settings.repurgeMs, onError) : null;
}
