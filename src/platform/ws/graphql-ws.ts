// GraphQL over WebSocket (graphql-ws, the `graphql-transport-ws` protocol) on the HTTP server that already serves
// yoga, at the same path. Every operation runs through yoga's envelop (`getEnveloped`): the same schema, rule tree,
// plugins, context factory and error masking as over HTTP.
//
// Authentication: the credential comes from `connectionParams` (`{ authorization: 'Bearer <token>' }` or
// `{ apiKey }`; browsers cannot set headers on a WebSocket), else from the upgrade request's own headers. It is
// turned into the headers of a synthetic request, so the HTTP context factory authenticates each operation exactly as
// it authenticates an HTTP request. It is also checked once at `connection_init`: a refused credential closes the
// socket 4401 "Unauthorized"; a connection without one is anonymous (protected fields then answer UNAUTHENTICATED).
// When the credential expires (an access token's `exp`), the socket is closed 4401 "Token expired".
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type DocumentNode, type ExecutionArgs, GraphQLError, type GraphQLSchema } from 'graphql';
import { CloseCode, type OperationResult, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';

/** What the caller's authenticator learns about a connection. */
export interface ConnectionAuth {
  /** When the credential stops being valid (an access token's expiry); null: it does not expire on a timer. */
  expiresAt: Date | null;
}

/** The request facts an authenticator records (the shape of the domain's RequestMeta). */
export interface ConnectionMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

/** The initial context each operation's context is built from (yoga's server context, plus the transport). */
export interface WsInitialContext {
  /** A synthetic request: the upgrade request's URL and headers, with the connection's credential. */
  request: Request;
  /** The HTTP upgrade request. */
  req: IncomingMessage;
  socket: WebSocket;
  params: SubscribePayload;
  transport: 'graphql-ws';
}

/** The part of yoga's `getEnveloped()` result the adapter uses. */
export interface Enveloped {
  schema: GraphQLSchema;
  parse(source: string): DocumentNode;
  validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[];
  contextFactory(): unknown;
  execute(args: ExecutionArgs): unknown;
  subscribe(args: ExecutionArgs): unknown;
}

interface WsLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface GraphQLWsOptions {
  /** The path served (yoga's graphqlEndpoint). */
  path: string;
  getEnveloped(initialContext: WsInitialContext): Enveloped;
  /**
   * Checks a connection's credential (carried in `headers`). Throw a GraphQLError coded UNAUTHENTICATED to refuse
   * it (the socket is closed 4401); any other error closes it 4500.
   */
  authenticate(headers: Headers, meta: ConnectionMeta): Promise<ConnectionAuth>;
  logger: WsLogger;
  /** The largest message accepted, in bytes. */
  maxPayloadBytes?: number;
  /** How long app shutdown waits for clients to answer the close handshake before cutting them off. */
  closeGraceMs?: number;
}

/** Close reasons sent with CloseCode.Unauthorized (4401). */
export const UNAUTHORIZED = 'Unauthorized';
export const TOKEN_EXPIRED = 'Token expired';

/** Per-connection state, kept on graphql-ws's `ctx.extra`. */
interface ConnectionState {
  headers?: Headers;
  meta?: ConnectionMeta;
  expiry?: NodeJS.Timeout;
}

/** Hop-by-hop and handshake headers that do not belong on the synthetic request. */
const SKIPPED_HEADERS = new Set(['host', 'connection', 'upgrade', 'content-length', 'transfer-encoding', 'keep-alive']);
const MAX_TIMER_MS = 2 ** 31 - 1;

const isUnauthenticated = (err: unknown): err is GraphQLError =>
  err instanceof GraphQLError && err.extensions.code === 'UNAUTHENTICATED';

/**
 * The headers every operation of a connection carries: the upgrade request's, with the credential of
 * `connectionParams` (when it names one) in place of any the upgrade request had.
 */
export function connectionHeaders(request: IncomingMessage, params: Readonly<Record<string, unknown>> | undefined) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || SKIPPED_HEADERS.has(name) || name.startsWith('sec-websocket-')) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const authorization = params?.authorization ?? params?.Authorization;
  const apiKey = params?.apiKey;
  if (authorization !== undefined || apiKey !== undefined) {
    headers.delete('authorization');
    headers.delete('x-api-key');
    // A credential that is not a string is still a credential: it must be refused, not ignored.
    if (authorization !== undefined) {
      headers.set('authorization', typeof authorization === 'string' ? authorization : 'Invalid');
    } else headers.set('x-api-key', typeof apiKey === 'string' ? apiKey : 'invalid');
  }
  return headers;
}

function metaOf(request: IncomingMessage): ConnectionMeta {
  const given = request.headers['x-request-id'];
  return {
    ip: request.socket.remoteAddress ?? null,
    userAgent: request.headers['user-agent'] ?? null,
    requestId: typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID(),
  };
}

/** Closes the socket when the credential expires; timers longer than setTimeout allows are re-armed. */
function armExpiry(state: ConnectionState, socket: WebSocket, expiresAt: Date, logger: WsLogger) {
  const wait = () => {
    const ms = expiresAt.getTime() - Date.now();
    if (ms > 0) {
      state.expiry = setTimeout(wait, Math.min(ms, MAX_TIMER_MS));
      state.expiry.unref();
      return;
    }
    state.expiry = undefined;
    logger.debug({ requestId: state.meta?.requestId }, 'graphql-ws connection closed: token expired');
    socket.close(CloseCode.Unauthorized, TOKEN_EXPIRED);
  };
  wait();
}

/** Waits for `promise`, at most `ms`. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Serves graphql-ws on `server` at `options.path`; `close()` ends every connection. */
export function attachGraphQLWs(server: Server, options: GraphQLWsOptions) {
  const { logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 1024 * 1024 });
  const enveloped = new WeakMap<ExecutionArgs, Enveloped>();
  /** Per open socket: settles once graphql-ws has ended its subscriptions and run onClose. */
  const cleanups = new Map<WebSocket, { done: Promise<void>; release: () => void }>();
  wss.on('connection', (socket: WebSocket) => {
    let release: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    cleanups.set(socket, { done, release });
  });
  let closing = false;

  const refuse = (socket: WebSocket, state: ConnectionState, err: GraphQLError) => {
    logger.info({ requestId: state.meta?.requestId, reason: err.message }, 'graphql-ws credential refused');
    socket.close(CloseCode.Unauthorized, UNAUTHORIZED);
  };

  useServer<Record<string, unknown>, { state: ConnectionState }>(
    {
      // Error details never go into close reasons.
      isProd: true,
      async onConnect(ctx) {
        const state: ConnectionState = {};
        ctx.extra.state = state;
        const { request, socket } = ctx.extra;
        state.headers = connectionHeaders(request, ctx.connectionParams);
        state.meta = metaOf(request);
        try {
          const { expiresAt } = await options.authenticate(state.headers, state.meta);
          // The client may have gone while the credential was checked: then there is nothing to arm.
          if (socket.readyState !== socket.OPEN) return false;
          if (expiresAt) armExpiry(state, socket, expiresAt, logger);
          return true;
        } catch (err) {
          if (isUnauthenticated(err)) refuse(socket, state, err);
          else {
            logger.error({ err, requestId: state.meta.requestId }, 'graphql-ws connection could not be authenticated');
            socket.close(CloseCode.InternalServerError, 'Internal server error');
          }
          return false;
        }
      },
      async onSubscribe(ctx, _id, payload) {
        const { request, socket } = ctx.extra;
        const state = ctx.extra.state ?? {};
        const url = new URL(request.url ?? options.path, 'http://localhost');
        const env = options.getEnveloped({
          // POST: a WebSocket carries mutations too; yoga refuses mutations on a GET request (its CSRF guard), and
          // there is no cross-site risk here (credentials come from connectionParams, never from cookies).
          request: new Request(url, { method: 'POST', headers: state.headers }),
          req: request,
          socket,
          params: payload,
          transport: 'graphql-ws',
        });
        try {
          const document = env.parse(payload.query);
          const errors = env.validate(env.schema, document);
          if (errors.length > 0) return errors;
          // Authenticates the operation as HTTP does: a credential revoked since the connection opened is refused.
          const contextValue = await env.contextFactory();
          const args: ExecutionArgs = {
            schema: env.schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue,
          };
          enveloped.set(args, env);
          return args;
        } catch (err) {
          if (isUnauthenticated(err)) {
            refuse(socket, state, err);
            return [err];
          }
          if (err instanceof GraphQLError && !err.path) return [err];
          logger.error({ err, requestId: state.meta?.requestId }, 'graphql-ws operation failed to start');
          return [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
        }
      },
      // onSubscribe always supplies the arguments, so each operation runs with its own envelop.
      execute: (args) => (enveloped.get(args) as Enveloped).execute(args) as OperationResult,
      subscribe: (args) => (enveloped.get(args) as Enveloped).subscribe(args) as OperationResult,
      onClose(ctx) {
        const state = ctx.extra.state;
        if (state?.expiry) clearTimeout(state.expiry);
        cleanups.get(ctx.extra.socket)?.release();
        cleanups.delete(ctx.extra.socket);
      },
    },
    wss,
  );

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname !== options.path || closing) {
      // Leave other paths to other upgrade handlers, if there are any.
      if (pathname === options.path || server.listenerCount('upgrade') === 1) {
        socket.end(`HTTP/1.1 ${closing ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\n\r\n`);
      }
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);

  return {
    /**
     * Stops accepting, closes every socket (1001 "Going away"), cuts off those that do not answer in time, and
     * resolves once every connection's subscriptions are released (so the pub/sub behind them can be closed next).
     */
    async close(): Promise<void> {
      closing = true;
      server.off('upgrade', onUpgrade);
      const released = () => Promise.all([...cleanups.values()].map((c) => c.done));
      const graceMs = options.closeGraceMs ?? 1_000;
      for (const ws of wss.clients) ws.close(1001, 'Going away');
      await settledWithin(released(), graceMs);
      for (const ws of wss.clients) ws.terminate();
      await settledWithin(released(), graceMs);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type GraphQLWsServer = ReturnType<typeof attachGraphQLWs>;
