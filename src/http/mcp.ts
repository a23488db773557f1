// POST /mcp: Chimera as an MCP server (Streamable HTTP, stateless), so MCP hosts and other agents can run the swarm
// without GraphQL. Every request needs the same credential as the API (Authorization: Bearer <token or API key>);
// without one the answer is 401 before any MCP message is read. Each tool and resource is one GraphQL operation run
// as the caller, through the same server: the same rule tree, rate limits, validation and coded errors apply, and an
// MCP caller can never do what the same user could not do over GraphQL.
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export interface GraphQLResult {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface McpFaceDeps {
  /** Runs a GraphQL operation with the caller's headers (its credential, its request id). */
  execute(query: string, variables: Record<string, unknown>, headers: Headers): Promise<GraphQLResult>;
  /** Whether the request carries a valid credential (false: none, or a refused one). */
  authenticated(headers: Headers): Promise<boolean>;
  version: string;
}

const AGENT_FIELDS = 'id name active performanceScore persona { id name } state { status activeTasks lastHeartbeat }';
const TASK_FIELDS = `id taskType status priority attempts scheduledFor createdAt updatedAt error { code message }
  context { goalDescription requiredResources } goal { id status } contents { id status confidenceScore contentData }`;

const TRANSFER_FIELDS = `id status amount currency recipient reason expiresAt decidedAt
  policyCheck { allowed violations { rule message } } transaction { transactionHash status confirmations fee }`;

const DOCS = {
  listAgents: `query ($first: Int) { agents(first: $first) { totalCount edges { node { ${AGENT_FIELDS} } } } }`,
  agent: `query ($id: ID!) { agent(id: $id) { ${AGENT_FIELDS} } }`,
  persona: `query ($id: ID!) { persona(id: $id) { id name backstory voiceTone { descriptors formality signaturePhrases }
    beliefs { statement topic } directives { kind text } } }`,
  task: `query ($id: ID!) { task(id: $id) { ${TASK_FIELDS} } }`,
  goal: `query ($id: ID!) { goal(id: $id) { id status description priority tasks { id taskType status scheduledFor } } }`,
  submitGoal: `mutation ($input: SubmitGoalInput!) { submitGoal(input: $input) { id status description } }`,
  reviewItems: `query ($first: Int, $filter: ReviewFilter) { reviewItems(first: $first, filter: $filter) { totalCount
    edges { node { taskId confidence categories reasons feedback content { id contentData } } } } }`,
  approve: `mutation ($taskId: ID!, $note: String) { approveReview(taskId: $taskId, note: $note) { id status } }`,
  reject: `mutation ($taskId: ID!, $reason: String!) { rejectReview(taskId: $taskId, reason: $reason) { id status } }`,
  changes: `mutation ($taskId: ID!, $notes: String!) { requestChanges(taskId: $taskId, notes: $notes) { id status } }`,
  requestTransfer: `mutation ($input: RequestTransferInput!) { requestTransfer(input: $input) { ${TRANSFER_FIELDS} } }`,
  transfer: `query ($id: ID!) { node(id: $id) { ... on Transfer { ${TRANSFER_FIELDS} } } }`,
  trends: `query ($first: Int) { trends(first: $first, filter: { active: true }) { edges { node { id topic
    relevanceScore detectedAt expiresAt } } } }`,
} as const;

const toolResult = (result: GraphQLResult): CallToolResult => {
  if (result.errors?.length) {
    const errors = result.errors.map((e) => ({ message: e.message, code: e.extensions?.code ?? null }));
    return { isError: true, content: [{ type: 'text', text: JSON.stringify({ errors }) }] };
  }
  const data = (result.data ?? {}) as Record<string, unknown>;
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
};

function buildServer(deps: McpFaceDeps, headers: Headers): McpServer {
  const server = new McpServer({ name: 'chimera', version: deps.version });
  const run = async (query: string, variables: Record<string, unknown> = {}) => deps.execute(query, variables, headers);
  const tool = (query: string, vars: (args: Record<string, unknown>) => Record<string, unknown>) => {
    return async (args: Record<string, unknown>) => toolResult(await run(query, vars(args)));
  };
  const id = z.string().min(1).max(200).describe('A Relay global ID');
  const first = z.number().int().min(1).max(100).optional().describe('How many (default 20)');

  server.registerTool(
    'list_agents',
    { description: 'The agents the caller may see, with their persona and live state.', inputSchema: { first } },
    tool(DOCS.listAgents, (a) => ({ first: a.first ?? 20 })),
  );
  server.registerTool(
    'submit_goal',
    {
      description:
        'Hands a goal to an agent; the Planner turns it into tasks. Returns at once (status PLANNING). The same ' +
        'idempotencyKey returns the same goal.',
      inputSchema: {
        agentId: id,
        goalDescription: z.string().min(1).max(50_000),
        priority: z.enum(['HIGH', 'MEDIUM', 'LOW']).optional(),
        idempotencyKey: z.string().min(1).max(255).optional(),
        requiredResources: z.array(z.string()).max(50).optional(),
      },
    },
    tool(DOCS.submitGoal, (input) => ({ input })),
  );
  server.registerTool(
    'get_goal',
    { description: 'A goal and the tasks of its plan.', inputSchema: { id } },
    tool(DOCS.goal, (a) => ({ id: a.id })),
  );
  server.registerTool(
    'get_task',
    { description: 'A task: its status, error, context and the content it produced.', inputSchema: { id } },
    tool(DOCS.task, (a) => ({ id: a.id })),
  );
  server.registerTool(
    'list_review_items',
    {
      description: 'The human review queue: what the Judge escalated, with its confidence and reasons.',
      inputSchema: { first, agentId: id.optional() },
    },
    tool(DOCS.reviewItems, (a) => ({ first: a.first ?? 20, filter: a.agentId ? { agentId: a.agentId } : null })),
  );
  server.registerTool(
    'approve_review',
    {
      description: 'Approves an escalated task (its content is approved and published).',
      inputSchema: { taskId: id, note: z.string().max(1000).optional() },
    },
    tool(DOCS.approve, (a) => ({ taskId: a.taskId, note: a.note ?? null })),
  );
  server.registerTool(
    'reject_review',
    {
      description: 'Rejects an escalated task; its goal fails.',
      inputSchema: { taskId: id, reason: z.string().min(1).max(1000) },
    },
    tool(DOCS.reject, (a) => ({ taskId: a.taskId, reason: a.reason })),
  );
  server.registerTool(
    'request_changes',
    {
      description: 'Sends an escalated task back to the Worker with notes.',
      inputSchema: { taskId: id, notes: z.string().min(1).max(5000) },
    },
    tool(DOCS.changes, (a) => ({ taskId: a.taskId, notes: a.notes })),
  );
  server.registerTool(
    'request_transfer',
    {
      description:
        'Asks to send money from an agent’s wallet (walletId, or agentId for its wallet). The spend policy checks it; ' +
        'then it waits for a CFO to approve it in Chimera — no tool can approve a transfer.',
      inputSchema: {
        walletId: id.optional(),
        agentId: id.optional(),
        amount: z.string().max(40).describe('Decimal text in the currency, e.g. "0.01"'),
        currency: z.string().max(20).optional(),
        recipient: z.string().max(100).describe('An address on the wallet’s recipient allowlist'),
        reason: z.string().min(1).max(1000),
      },
    },
    tool(DOCS.requestTransfer, (a) => ({
      input: {
        walletId: a.walletId ?? null,
        agentId: a.agentId ?? null,
        amount: a.amount,
        currency: a.currency ?? null,
        recipient: a.recipient,
        reason: a.reason,
      },
    })),
  );
  server.registerTool(
    'get_transfer',
    {
      description: 'A transfer: its status, the policy’s verdict, and the on-chain transaction once sent.',
      inputSchema: { id },
    },
    tool(DOCS.transfer, (a) => ({ id: a.id })),
  );
  server.registerTool(
    'list_trends',
    { description: 'Active trends, most relevant first.', inputSchema: { first } },
    tool(DOCS.trends, (a) => ({ first: a.first ?? 20 })),
  );

  const resource = async (uri: URL, query: string, variables: Record<string, unknown>): Promise<ReadResourceResult> => {
    const result = await run(query, variables);
    if (result.errors?.length) {
      throw new Error(result.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
    }
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(result.data) }] };
  };
  server.registerResource(
    'agents',
    'chimera://agents',
    { description: 'The agents the caller may see.', mimeType: 'application/json' },
    (uri) => resource(uri, DOCS.listAgents, { first: 100 }),
  );
  const template = (kind: 'agents' | 'personas' | 'tasks', query: string, description: string) =>
    server.registerResource(
      kind.slice(0, -1),
      new ResourceTemplate(`chimera://${kind}/{id}`, { list: undefined }),
      { description, mimeType: 'application/json' },
      (uri, vars) => resource(uri, query, { id: String(vars.id) }),
    );
  template('agents', DOCS.agent, 'One agent, by its global ID.');
  template('personas', DOCS.persona, 'One persona: voice, beliefs and directives.');
  template('tasks', DOCS.task, 'One task, by its global ID.');
  return server;
}

export function createMcpHandler(deps: McpFaceDeps) {
  return async (request: Request): Promise<Response> => {
    if (!(await deps.authenticated(request.headers))) {
      return Response.json(
        {
          jsonrpc: '2.0',
          error: { code: -32001, message: 'Authorization: Bearer <access token or API key> is required.' },
          id: null,
        },
        { status: 401, headers: { 'www-authenticate': 'Bearer realm="chimera"' } },
      );
    }
    if (request.method !== 'POST') {
      return Response.json(
        { jsonrpc: '2.0', error: { code: -32000, message: 'This endpoint is stateless: POST only.' }, id: null },
        { status: 405, headers: { allow: 'POST' } },
      );
    }
    // Stateless: a server and a transport per request, closed when the answer has been produced.
    const server = buildServer(deps, request.headers);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request);
    } finally {
      void server.close();
    }
  };
}
