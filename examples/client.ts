// A small typed Chimera client over plain fetch, and a few functions a frontend would write on top of the
// documents generated from examples/operations/ (run `npm run codegen` first). Every function reads the results
// deep enough that a breaking schema change (a field renamed or removed, a nullability change, an enum value
// added or removed) fails the type check of this file: test/codegen/codegen.test.ts proves it.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, Kind, print } from 'graphql';
import {
  ActiveTrendsDocument,
  AuditTrailDocument,
  CancelTaskDocument,
  ContentStatus,
  type ContentType,
  CreateTaskDocument,
  ListAgentsDocument,
  ListTasksDocument,
  type ListTasksQuery,
  NodeByIdDocument,
  ReviewQueueDocument,
  SetContentStatusDocument,
  type TaskFieldsFragment,
  type TaskFilter,
  TaskPriority,
  TaskStatus,
  TaskType,
} from './generated/graphql.js';

// ---------------------------------------------------------------------------------------------------------------
// Transport

/** `extensions.code` values Chimera sends, plus the ones this client makes up when there is no GraphQL error. */
export type ChimeraErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'GRAPHQL_PARSE_FAILED'
  /** Client-side: the request never got an answer. */
  | 'NETWORK_ERROR'
  /** Client-side: a non-2xx answer without GraphQL errors. */
  | 'HTTP_ERROR'
  /** Client-side: the answer was not a GraphQL response. */
  | 'INVALID_RESPONSE'
  | (string & {});

export interface GraphQLErrorEntry {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** Thrown for any failed operation; `code` is the first error's `extensions.code`. */
export class ChimeraError extends Error {
  override readonly name = 'ChimeraError';
  readonly code: ChimeraErrorCode;
  readonly errors: readonly GraphQLErrorEntry[];
  readonly operationName: string | undefined;
  readonly status: number | undefined;
  /** Partial data, when the server returned some alongside the errors. */
  readonly data: unknown;

  constructor(
    message: string,
    init: {
      code: ChimeraErrorCode;
      errors?: readonly GraphQLErrorEntry[];
      operationName?: string | undefined;
      status?: number;
      data?: unknown;
      cause?: unknown;
    },
  ) {
    super(message, { cause: init.cause });
    this.code = init.code;
    this.errors = init.errors ?? [];
    this.operationName = init.operationName;
    this.status = init.status;
    this.data = init.data;
  }
}

/** Variables may be left out exactly when the operation has no required ones. */
type VariablesArgs<TVariables> =
  Record<string, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

export interface ChimeraClient {
  request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    ...args: VariablesArgs<TVariables>
  ): Promise<TResult>;
}

export interface ChimeraClientOptions {
  /** Extra headers on every request, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function readErrors(value: unknown): GraphQLErrorEntry[] {
  if (!Array.isArray(value)) return [];
  return value.map((entry: unknown): GraphQLErrorEntry => {
    if (!isRecord(entry)) return { message: String(entry) };
    return {
      message: typeof entry.message === 'string' ? entry.message : 'Unknown error',
      ...(Array.isArray(entry.path)
        ? { path: entry.path.filter((p) => typeof p === 'string' || typeof p === 'number') }
        : {}),
      ...(isRecord(entry.extensions) ? { extensions: entry.extensions } : {}),
    };
  });
}

function operationNameOf(document: DocumentNode): string | undefined {
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  return operation?.kind === Kind.OPERATION_DEFINITION ? operation.name?.value : undefined;
}

/** Executes typed documents against a Chimera endpoint (e.g. http://localhost:4000/graphql) with HTTP POST. */
export function createChimeraClient(
  endpoint: string,
  fetchImpl: typeof fetch = fetch,
  options: ChimeraClientOptions = {},
): ChimeraClient {
  const printed = new WeakMap<DocumentNode, string>();
  const source = (document: DocumentNode): string => {
    let query = printed.get(document);
    if (query === undefined) {
      query = print(document);
      printed.set(document, query);
    }
    return query;
  };

  return {
    async request<TResult, TVariables>(
      document: TypedDocumentNode<TResult, TVariables>,
      ...[variables]: VariablesArgs<TVariables>
    ): Promise<TResult> {
      const operationName = operationNameOf(document);
      let response: Response;
      try {
        response = await fetchImpl(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json',
            ...options.headers,
          },
          body: JSON.stringify({ query: source(document), variables: variables ?? {}, operationName }),
        });
      } catch (cause) {
        throw new ChimeraError(`${operationName ?? 'operation'}: request failed`, {
          code: 'NETWORK_ERROR',
          operationName,
          cause,
        });
      }
      const { status } = response;
      let body: unknown;
      try {
        body = await response.json();
      } catch (cause) {
        const code = response.ok ? 'INVALID_RESPONSE' : 'HTTP_ERROR';
        throw new ChimeraError(`${operationName}: HTTP ${status}, not a GraphQL response`, {
          code,
          operationName,
          status,
          cause,
        });
      }
      const errors = isRecord(body) ? readErrors(body.errors) : [];
      const data = isRecord(body) ? body.data : undefined;
      const first = errors[0];
      if (first) {
        const code = first.extensions?.code;
        throw new ChimeraError(first.message, {
          code: typeof code === 'string' ? code : response.ok ? 'INTERNAL_SERVER_ERROR' : 'HTTP_ERROR',
          errors,
          operationName,
          status,
          data,
        });
      }
      if (!response.ok) throw new ChimeraError(`${operationName}: HTTP ${status}`, { code: 'HTTP_ERROR', status });
      if (!isRecord(data)) {
        throw new ChimeraError(`${operationName}: response has no data`, { code: 'INVALID_RESPONSE', status });
      }
      // The trust boundary: the server validated the document, so data has the document's shape.
      return data as TResult;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Typed functions a frontend would write

const CONTENT_LABEL: Record<ContentType, string> = { TEXT: 'Post', IMAGE: 'Image', VIDEO: 'Video', AUDIO: 'Audio' };

export const TASK_STATUS_LABEL: Record<TaskStatus, string> = {
  [TaskStatus.Pending]: 'Queued',
  [TaskStatus.InProgress]: 'Running',
  [TaskStatus.Review]: 'Awaiting review',
  [TaskStatus.Complete]: 'Done',
  [TaskStatus.Failed]: 'Failed',
};

export interface ReviewCard {
  id: string;
  label: string;
  excerpt: string;
  agentName: string;
  personaName: string | null;
  goal: string | null;
  confidencePercent: number | null;
  createdAt: Date | null;
}

/** One page of the human review queue (drafts, newest first). */
export async function listReviewQueue(
  client: ChimeraClient,
  page: { agentId?: string; first?: number; after?: string } = {},
): Promise<{ cards: ReviewCard[]; total: number; nextCursor: string | null }> {
  const { contents } = await client.request(ReviewQueueDocument, page);
  const cards = contents.edges.map(({ node }): ReviewCard => {
    const excerpt = node.contentType === 'TEXT' ? node.contentData.slice(0, 280) : node.contentData;
    return {
      id: node.id,
      label: CONTENT_LABEL[node.contentType],
      excerpt,
      agentName: node.agent?.name ?? '(deleted agent)',
      personaName: node.agent?.persona?.name ?? null,
      goal: node.task?.context.goalDescription ?? null,
      confidencePercent: node.confidenceScore === null ? null : Math.round(node.confidenceScore * 100),
      createdAt: node.createdAt === null ? null : new Date(node.createdAt),
    };
  });
  const { hasNextPage, endCursor } = contents.pageInfo;
  return { cards, total: contents.totalCount, nextCursor: hasNextPage ? endCursor : null };
}

/** Approves or rejects a draft; the reason is kept in the audit log. */
export async function reviewContent(
  client: ChimeraClient,
  id: string,
  decision: 'approve' | 'reject',
  reason?: string,
): Promise<{ id: string; status: ContentStatus }> {
  const status = decision === 'approve' ? ContentStatus.Approved : ContentStatus.Rejected;
  const { setContentStatus } = await client.request(SetContentStatusDocument, { id, status, reason: reason ?? null });
  return { id: setContentStatus.id, status: setContentStatus.status };
}

export interface TaskRequest {
  agentId: string;
  goal: string;
  constraints?: string[];
  /** Resource URIs the workers need, e.g. `mcp://news/latest`. */
  resources?: string[];
  taskType?: TaskType;
  priority?: TaskPriority;
}

/** Queues a task for an agent (the spec's Agent Task Schema) and returns what the board shows for it. */
export async function submitTask(
  client: ChimeraClient,
  request: TaskRequest,
): Promise<{ id: string; statusLabel: string; resources: string[]; agentName: string | null }> {
  const { createTask: task } = await client.request(CreateTaskDocument, {
    input: {
      agentId: request.agentId,
      taskType: request.taskType ?? TaskType.GenerateContent,
      priority: request.priority ?? TaskPriority.Medium,
      context: {
        goalDescription: request.goal,
        personaConstraints: request.constraints ?? [],
        requiredResources: request.resources ?? [],
      },
    },
  });
  return {
    id: task.id,
    statusLabel: TASK_STATUS_LABEL[task.status],
    resources: [...task.context.requiredResources],
    agentName: task.agent?.name ?? null,
  };
}

/** Cancels a task; it ends FAILED with `result.error.code` CANCELLED. */
export async function cancelTask(client: ChimeraClient, id: string, reason?: string): Promise<TaskStatus> {
  const { cancelTask: task } = await client.request(CancelTaskDocument, { id, reason: reason ?? null });
  return task.status;
}

/** Walks every task matching a filter, page by page, following the cursors. */
export async function* allTasks(
  client: ChimeraClient,
  filter: TaskFilter,
  pageSize = 50,
): AsyncGenerator<TaskFieldsFragment, void, undefined> {
  let after: string | null = null;
  for (;;) {
    // Annotated: `after` feeds the request and is read back from its result.
    const page: ListTasksQuery = await client.request(ListTasksDocument, { filter, first: pageSize, after });
    for (const edge of page.tasks.edges) yield edge.node;
    const { hasNextPage, endCursor } = page.tasks.pageInfo;
    if (!hasNextPage || endCursor === null) return;
    after = endCursor;
  }
}

/** Rows for the agents dashboard: who each agent is and what it did last. */
export async function agentDashboard(client: ChimeraClient, onlyActive = true) {
  const { agents } = await client.request(ListAgentsDocument, { filter: { active: onlyActive }, latestTasks: 1 });
  return agents.edges.map(({ node }) => {
    const latest = node.tasks.edges[0]?.node;
    return {
      id: node.id,
      name: node.name,
      persona: node.persona
        ? `${node.persona.name} (${node.persona.voiceTone?.descriptors.join(', ') ?? 'no voice'})`
        : null,
      taskCount: node.tasks.totalCount,
      latest: latest
        ? `${TASK_STATUS_LABEL[latest.status]}: ${latest.context.goalDescription ?? latest.taskType}`
        : null,
    };
  });
}

/** Topics worth posting about now. */
export async function trendingTopics(client: ChimeraClient, minRelevance = 0.5) {
  const { trends } = await client.request(ActiveTrendsDocument, { minRelevance });
  return trends.edges.map(({ node }) => ({ topic: node.topic, relevance: node.relevanceScore ?? 0 }));
}

/** An agent's audit trail since a moment, as readable lines. */
export async function auditTrail(client: ChimeraClient, agentId: string, since: Date, actions?: string[]) {
  const { auditLogs } = await client.request(AuditTrailDocument, {
    agentId,
    createdAfter: since.toISOString(),
    actions: actions ?? null,
  });
  return auditLogs.edges.map(({ node }) => `${node.createdAt ?? '?'} ${node.agent?.name ?? '?'} ${node.action}`);
}

/** A one-line description of whatever a global ID names. */
export async function describeNode(client: ChimeraClient, id: string): Promise<string | null> {
  const { node } = await client.request(NodeByIdDocument, { id });
  if (!node) return null;
  switch (node.__typename) {
    case 'Persona':
      return `Persona ${node.name}`;
    case 'Agent':
      return `Agent ${node.name}${node.active ? '' : ' (inactive)'}`;
    case 'Task':
      return `${node.taskType} task, ${TASK_STATUS_LABEL[node.status]}: ${node.context.goalDescription ?? ''}`;
    case 'Content':
      return `${CONTENT_LABEL[node.contentType]} (${node.contentStatus}) by ${node.agent?.name ?? '?'}`;
    case 'Trend':
      return `Trend ${node.topic}`;
    case 'Wallet':
      return `Wallet ${node.address} on ${node.blockchain}`;
    default:
      return `${node.__typename} ${node.id}`;
  }
}
