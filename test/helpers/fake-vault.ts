// A local HTTP server speaking the part of HashiCorp Vault's API Chimera uses, with Vault's response and error
// shapes: KV v2 reads (GET /v1/<mount>/data/<path> → {"data": {"data": {...}, "metadata": {...}}}) that want
// X-Vault-Token (and X-Vault-Namespace when it is set up with one), 403 {"errors": ["permission denied"]}, 404
// {"errors": []} for a missing path (and for a deleted version, with its metadata), 503 {"errors": ["Vault is
// sealed"]}, and Kubernetes auth (POST /v1/auth/<mount>/login {role, jwt} → {"auth": {"client_token", …}}).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeVaultRequest {
  method: string;
  path: string;
  token: string | undefined;
  namespace: string | undefined;
}

export interface FakeVault {
  url: string;
  /** Requests seen, as "METHOD path". */
  requests: string[];
  /** Requests seen, with their token and namespace headers. */
  seen: FakeVaultRequest[];
  /** The next `n` requests are answered 503 "Vault is sealed" (as while Vault is sealed or a standby restarts). */
  sealFor(n: number): void;
  close(): Promise<void>;
}

export interface FakeVaultOptions {
  token: string;
  namespace?: string;
  mount?: string;
  /** path → key/value pairs (values as KV v2 stores JSON: strings, numbers, objects…). */
  secrets: Record<string, Record<string, unknown>>;
  /** Paths the token may not read (403). */
  denied?: string[];
  /** Paths whose current version was deleted (404 with metadata.deletion_time, as KV v2 answers). */
  deleted?: string[];
  kubernetes?: { mount?: string; role: string; jwt: string; token: string };
}

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve(text));
  });

const envelope = (extra: Record<string, unknown>) => ({
  request_id: randomUUID(),
  lease_id: '',
  renewable: false,
  lease_duration: 0,
  data: null,
  wrap_info: null,
  warnings: null,
  auth: null,
  ...extra,
});

const metadata = (deleted: boolean) => ({
  created_time: '2026-01-01T00:00:00.000000Z',
  custom_metadata: null,
  deletion_time: deleted ? '2026-02-01T00:00:00.000000Z' : '',
  destroyed: false,
  version: deleted ? 2 : 1,
});

export async function startFakeVault(opts: FakeVaultOptions): Promise<FakeVault> {
  const requests: string[] = [];
  const seen: FakeVaultRequest[] = [];
  const mount = opts.mount ?? 'secret';
  const tokens = new Set([opts.token, ...(opts.kubernetes ? [opts.kubernetes.token] : [])]);
  let sealed = 0;
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://vault');
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    requests.push(`${req.method} ${url.pathname}`);
    seen.push({
      method: req.method ?? '',
      path: url.pathname,
      token: header('x-vault-token'),
      namespace: header('x-vault-namespace'),
    });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(payload));
    };
    const text = req.method === 'POST' || req.method === 'PUT' ? await body(req) : '';
    if (sealed > 0) {
      sealed--;
      return send(503, { errors: ['Vault is sealed'] });
    }
    // Outside its namespace the paths of a namespace do not exist for the caller.
    if (opts.namespace && header('x-vault-namespace') !== opts.namespace) {
      return send(403, { errors: ['permission denied'] });
    }
    const k8s = opts.kubernetes;
    if (k8s && url.pathname === `/v1/auth/${k8s.mount ?? 'kubernetes'}/login`) {
      if (req.method !== 'POST' && req.method !== 'PUT')
        return send(405, { errors: ['1 error occurred: unsupported operation'] });
      let login: { role?: unknown; jwt?: unknown };
      try {
        login = JSON.parse(text || '{}') as typeof login;
      } catch {
        return send(400, { errors: ['failed to parse JSON input: invalid character'] });
      }
      if (!login.role) return send(400, { errors: ['missing role'] });
      if (!login.jwt) return send(400, { errors: ['missing jwt'] });
      if (login.role !== k8s.role) return send(400, { errors: [`invalid role name "${String(login.role)}"`] });
      if (login.jwt !== k8s.jwt) return send(403, { errors: ['permission denied'] });
      return send(
        200,
        envelope({
          auth: {
            client_token: k8s.token,
            accessor: randomUUID(),
            policies: ['default', 'chimera'],
            token_policies: ['default', 'chimera'],
            metadata: { role: k8s.role, service_account_name: 'chimera', service_account_namespace: 'chimera' },
            lease_duration: 3600,
            renewable: true,
            entity_id: randomUUID(),
            token_type: 'service',
            orphan: true,
          },
        }),
      );
    }
    if (!tokens.has(header('x-vault-token') ?? '')) return send(403, { errors: ['permission denied'] });
    const prefix = `/v1/${mount}/data/`;
    if (!url.pathname.startsWith(prefix)) return send(404, { errors: [] });
    if (req.method !== 'GET') return send(405, { errors: ['1 error occurred: unsupported operation'] });
    const path = decodeURIComponent(url.pathname.slice(prefix.length));
    if (opts.denied?.includes(path)) return send(403, { errors: ['1 error occurred:\n\t* permission denied\n\n'] });
    if (opts.deleted?.includes(path)) {
      return send(404, envelope({ data: { data: null, metadata: metadata(true) }, mount_type: 'kv' }));
    }
    const data = opts.secrets[path];
    if (!data) return send(404, { errors: [] });
    send(200, envelope({ data: { data, metadata: metadata(false) }, mount_type: 'kv' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    seen,
    sealFor: (n) => {
      sealed = n;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
