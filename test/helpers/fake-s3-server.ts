// A real HTTP server on 127.0.0.1 speaking the subset of S3 the backup target uses (path-style): PUT/GET/DELETE
// Object, ListObjectsV2 (paged), and multipart uploads. Every request must carry a valid AWS Signature V4, checked
// here by an implementation of its own (not the adapter's), so a signing bug in the adapter fails the tests; the
// payload's SHA-256 is checked against the body too.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeS3 {
  url: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  objects: Map<string, Buffer>;
  /** Method and path?query of every request, and whether its signature held. */
  requests: { method: string; url: string; signed: boolean }[];
  /** Keys per ListObjectsV2 page (default 1000). */
  pageSize: number;
  close(): Promise<void>;
}

const strictEncode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(raw: string): string {
  if (!raw) return '';
  return raw
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      const k = decodeURIComponent((i === -1 ? pair : pair.slice(0, i)).replace(/\+/g, ' '));
      const v = i === -1 ? '' : decodeURIComponent(pair.slice(i + 1).replace(/\+/g, ' '));
      return [strictEncode(k), strictEncode(v)];
    })
    .sort((a, b) => (a[0] === b[0] ? (a[1]! < b[1]! ? -1 : 1) : a[0]! < b[0]! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function verify(req: IncomingMessage, body: Buffer, s3: FakeS3): string | null {
  const auth = req.headers.authorization ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return 'AuthorizationHeaderMalformed';
  const [, accessKey, day, region, signedHeaders, signature] = m as unknown as string[];
  if (accessKey !== s3.accessKeyId) return 'InvalidAccessKeyId';
  if (region !== s3.region) return 'AuthorizationHeaderMalformed';
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day as string)) return 'SignatureDoesNotMatch';
  const when = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (!Number.isFinite(when) || Math.abs(Date.now() - when) > 15 * 60_000) return 'RequestTimeTooSkewed';
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
  if (payloadHash !== createHash('sha256').update(body).digest('hex')) return 'XAmzContentSHA256Mismatch';
  const names = (signedHeaders as string).split(';');
  if (!names.includes('host') || !names.includes('x-amz-date') || !names.includes('x-amz-content-sha256')) {
    return 'AccessDenied';
  }
  const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?');
  // As S3 does: the key decoded from the path, each segment encoded again the one canonical way.
  const path = rawPath
    .split('/')
    .map((s) => strictEncode(decodeURIComponent(s)))
    .join('/');
  const headerLines = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonical = [req.method, path, canonicalQuery(rawQuery), headerLines, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  let key: Buffer = createHmac('sha256', `AWS4${s3.secretAccessKey}`)
    .update(day as string)
    .digest();
  for (const part of [region as string, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  return expected === signature ? null : 'SignatureDoesNotMatch';
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function error(res: ServerResponse, status: number, code: string) {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
}

export async function startFakeS3(opts: { bucket?: string; accessKeyId?: string; secretAccessKey?: string } = {}) {
  const uploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  let uploadSeq = 0;
  const s3: FakeS3 = {
    url: '',
    bucket: opts.bucket ?? 'chimera-backups',
    accessKeyId: opts.accessKeyId ?? 'AKIDTESTCHIMERA',
    secretAccessKey: opts.secretAccessKey ?? 'test/secret+key=with/odd chars',
    region: 'eu-central-1',
    objects: new Map(),
    requests: [],
    pageSize: 1000,
    close: async () => undefined,
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const failure = verify(req, body, s3);
    s3.requests.push({ method: req.method ?? '', url: req.url ?? '', signed: failure === null });
    if (failure) return error(res, 403, failure);
    const url = new URL(req.url ?? '/', 'http://fake');
    const segments = url.pathname.split('/').slice(1);
    const bucket = decodeURIComponent(segments[0] ?? '');
    if (bucket !== s3.bucket) return error(res, 404, 'NoSuchBucket');
    const key = segments
      .slice(1)
      .map((s) => decodeURIComponent(s))
      .join('/');
    const q = url.searchParams;
    if (!key) {
      if (req.method !== 'GET' || q.get('list-type') !== '2') return error(res, 400, 'InvalidRequest');
      const prefix = q.get('prefix') ?? '';
      const all = [...s3.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      const after = q.get('continuation-token');
      const from = after ? all.findIndex((k) => k > after) : 0;
      const page = from === -1 ? [] : all.slice(from, from + s3.pageSize);
      const truncated = from !== -1 && from + s3.pageSize < all.length;
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${s3.bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
          `<KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>` +
          (truncated
            ? `<NextContinuationToken>${xmlEscape(page[page.length - 1] as string)}</NextContinuationToken>`
            : '') +
          page
            .map(
              (k) =>
                `<Contents><Key>${xmlEscape(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>` +
                `<Size>${s3.objects.get(k)?.length}</Size></Contents>`,
            )
            .join('') +
          '</ListBucketResult>',
      );
      return;
    }
    if (req.method === 'POST' && q.has('uploads')) {
      const id = `upload-${++uploadSeq}`;
      uploads.set(id, { key, parts: new Map() });
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<InitiateMultipartUploadResult><Bucket>${s3.bucket}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
      return;
    }
    const uploadId = q.get('uploadId');
    if (uploadId) {
      const upload = uploads.get(uploadId);
      if (!upload || upload.key !== key) return error(res, 404, 'NoSuchUpload');
      if (req.method === 'PUT') {
        upload.parts.set(Number(q.get('partNumber')), body);
        res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        return res.end();
      }
      if (req.method === 'DELETE') {
        uploads.delete(uploadId);
        res.writeHead(204);
        return res.end();
      }
      if (req.method === 'POST') {
        const numbers = [...body.toString().matchAll(/<PartNumber>(\d+)<\/PartNumber><ETag>([^<]*)<\/ETag>/g)];
        const parts = numbers.map(([, n, etag]) => {
          const part = upload.parts.get(Number(n));
          if (!part || etag !== `"${createHash('md5').update(part).digest('hex')}"`) throw new Error('bad part');
          return part;
        });
        s3.objects.set(key, Buffer.concat(parts));
        uploads.delete(uploadId);
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(`<CompleteMultipartUploadResult><Key>${xmlEscape(key)}</Key></CompleteMultipartUploadResult>`);
      }
    }
    if (req.method === 'PUT') {
      s3.objects.set(key, body);
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      return res.end();
    }
    if (req.method === 'GET') {
      const object = s3.objects.get(key);
      if (!object) return error(res, 404, 'NoSuchKey');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': object.length });
      return res.end(object);
    }
    if (req.method === 'DELETE') {
      s3.objects.delete(key);
      res.writeHead(204);
      return res.end();
    }
    error(res, 405, 'MethodNotAllowed');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s3.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s3.close = () => new Promise((resolve) => server.close(() => resolve()));
  return s3;
}
