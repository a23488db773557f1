// A local HTTP server speaking the part of HashiCorp Vault's API Chimera uses: KV v2 reads
// (GET /v1/<mount>/data/<path>) with X-Vault-Token (and X-Vault-Namespace when it is set up with one), and
// Kubernetes auth (POST /v1/auth/<mount>/login), with Vault's response and error shapes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeVault {
  url: string;
  /** Requests seen, as "METHOD path". */
  requests: string[];
  close(): Promise<void>;
}

export interface FakeVaultOptions {
  token: string;
  namespace?: string;
  mount?: string;
  /** path → key/value pairs. */
  secrets: Record<string, Record<string, string | number>>;
  /** Paths the token may not read (403). */
  denied?: string[];
  kubernetes?: { mount?: string; role: string; jwt: string; token: string };
}

export async function startFakeVault(opts: FakeVaultOptions): Promise<FakeVault> {
  const requests: string[] = [];
  const mount = opts.mount ?? 'secret';
  const tokens = new Set([opts.token, ...(opts.kubernetes ? [opts.kubernetes.token] : [])]);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://vault');
    requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (opts.namespace && req.headers['x-vault-namespace'] !== opts.namespace)
      return send(403, { errors: ['permission denied'] });
    const k8s = opts.kubernetes;
    if (req.method === 'POST' && k8s && url.pathname === `/v1/auth/${k8s.mount ?? 'kubernetes'}/login`) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { role, jwt } = JSON.parse(body || '{}') as { role?: string; jwt?: string };
        if (role !== k8s.role) return send(400, { errors: [`invalid role name "${role}"`] });
        if (jwt !== k8s.jwt) return send(403, { errors: ['permission denied'] });
        send(200, { auth: { client_token: k8s.token, policies: ['chimera'], lease_duration: 3600, renewable: true } });
      });
      return;
    }
    const prefix = `/v1/${mount}/data/`;
    if (req.method !== 'GET' || !url.pathname.startsWith(prefix)) return send(404, { errors: [] });
    if (!tokens.has(String(req.headers['x-vault-token'] ?? ''))) return send(403, { errors: ['permission denied'] });
    const path = decodeURIComponent(url.pathname.slice(prefix.length));
    if (opts.denied?.includes(path)) return send(403, { errors: ['1 error occurred:\n\t* permission denied\n\n'] });
    const data = opts.secrets[path];
    if (!data) return send(404, { errors: [] });
    send(200, {
      request_id: 'fake',
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: {
        data,
        metadata: { created_time: new Date().toISOString(), deletion_time: '', destroyed: false, version: 1 },
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
