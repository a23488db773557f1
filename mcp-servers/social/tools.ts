// The MCP tools of the social sandbox (post_content, reply_to_comment, read_mentions, read_metrics, delete_post,
// get_quota, simulate_interaction). Arguments are validated here, so that every failure, bad input included, reaches
// the caller as `isError: true` with one text entry holding `{ code, message, ...extra }`.
import { setTimeout as sleep } from 'node:timers/promises';
// The low-level Server is used on purpose: McpServer answers invalid arguments with a plain-text protocol error,
// while this contract promises a JSON `{ code: "BAD_INPUT", ... }` tool error for them too.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Platform, PostResult } from './platform.js';
import { ToolError } from './platform.js';
import { INTERACTION_TYPES } from './state.js';

export interface ToolContext {
  platform: Platform;
  delayAfterPostMs: number;
}

interface ToolDef {
  tool: Tool;
  run: (args: unknown) => Promise<Record<string, unknown>>;
}

type ObjectSchema = z.ZodObject;

function jsonSchema(schema: ObjectSchema, io: 'input' | 'output'): Tool['inputSchema'] {
  const json: Record<string, unknown> = { ...z.toJSONSchema(schema, { target: 'draft-7', io }) };
  delete json.$schema;
  return { ...json, type: 'object' };
}

function define<I extends ObjectSchema, O extends ObjectSchema>(spec: {
  name: string;
  description: string;
  input: I;
  output: O;
  annotations: Tool['annotations'];
  run: (args: z.output<I>) => z.input<O> | Promise<z.input<O>>;
}): ToolDef {
  return {
    tool: {
      name: spec.name,
      description: spec.description,
      inputSchema: jsonSchema(spec.input, 'input'),
      outputSchema: jsonSchema(spec.output, 'output'),
      annotations: spec.annotations,
    },
    run: async (args) => {
      const parsed = spec.input.parse(args ?? {});
      const result = await spec.run(parsed);
      return spec.output.parse(result) as Record<string, unknown>;
    },
  };
}

const handle = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,30}$/, 'a handle is 1-30 letters, digits or underscores')
  .describe('Account handle, without the @ (case-insensitive)');
const postText = z
  .string()
  .min(1)
  .max(5000)
  .refine((t) => t.trim() !== '', 'must not be blank');
const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe('Same key for the same account → the existing post is returned (duplicate: true), never a second one');
const id = z.string().min(1).max(100);

const PostOutput = z.object({ postId: z.string(), url: z.string(), postedAt: z.string(), duplicate: z.boolean() });

function postAnswer(result: PostResult): z.input<typeof PostOutput> {
  return { postId: result.post.id, url: result.post.url, postedAt: result.post.createdAt, duplicate: result.duplicate };
}

export function toolDefinitions(ctx: ToolContext): ToolDef[] {
  const { platform } = ctx;
  const afterPost = async (result: PostResult) => {
    if (!result.duplicate && ctx.delayAfterPostMs > 0) await sleep(ctx.delayAfterPostMs);
    return postAnswer(result);
  };
  return [
    define({
      name: 'post_content',
      description: 'Publish a post on the account (created on first use). Subject to the per-account post quota.',
      input: z.strictObject({ account: handle, text: postText, idempotencyKey }),
      output: PostOutput,
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: true },
      run: (args) => afterPost(platform.publish(args)),
    }),
    define({
      name: 'reply_to_comment',
      description: 'Publish a reply to a comment (a post with replyTo set). Counts against the post quota.',
      input: z.strictObject({ account: handle, commentId: id, text: postText, idempotencyKey }),
      output: PostOutput,
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: true },
      run: (args) => afterPost(platform.publish(args)),
    }),
    define({
      name: 'read_mentions',
      description:
        "Comments on the account's posts and comments anywhere that contain @<handle>, newest first, optionally only those after `since`.",
      input: z.strictObject({
        account: handle,
        since: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time; only mentions created after it'),
        limit: z.number().int().min(1).max(100).optional().describe('1-100, default 20'),
      }),
      output: z.object({
        mentions: z.array(
          z.object({
            commentId: z.string(),
            postId: z.string(),
            author: z.string(),
            text: z.string(),
            createdAt: z.string(),
          }),
        ),
      }),
      annotations: { readOnlyHint: true },
      run: (args) => ({ mentions: platform.mentions(args.account, args.since, args.limit ?? 20) }),
    }),
    define({
      name: 'read_metrics',
      description: 'Current counts of a post.',
      input: z.strictObject({ postId: id }),
      output: z.object({
        postId: z.string(),
        likes: z.number(),
        comments: z.number(),
        shares: z.number(),
        views: z.number(),
        clicks: z.number(),
        updatedAt: z.string(),
      }),
      annotations: { readOnlyHint: true },
      run: (args) => platform.metrics(args.postId),
    }),
    define({
      name: 'delete_post',
      description: "Delete one of the account's posts (it stays listed, marked deleted).",
      input: z.strictObject({ account: handle, postId: id }),
      output: z.object({ postId: z.string(), deleted: z.literal(true) }),
      annotations: { destructiveHint: true, idempotentHint: true },
      run: (args) => platform.deletePost(args.account, args.postId),
    }),
    define({
      name: 'get_quota',
      description: "The account's post quota in the current sliding window.",
      input: z.strictObject({ account: handle }),
      output: z.object({
        account: z.string(),
        limit: z.number(),
        windowMs: z.number(),
        used: z.number(),
        remaining: z.number(),
        resetAt: z.string().nullable(),
      }),
      annotations: { readOnlyHint: true },
      run: (args) => platform.quota(args.account),
    }),
    define({
      name: 'simulate_interaction',
      description:
        'Make the audience act on a post (like, comment, share, view, click): updates its metrics and sends the webhook.',
      input: z
        .strictObject({
          postId: id,
          type: z.enum(INTERACTION_TYPES),
          author: z.string().min(1).max(100).optional().describe('Who acts, default "@audience"'),
          text: z.string().min(1).max(2000).optional().describe('The comment (required for type "comment")'),
          reported: z.boolean().optional().describe('The content was reported (e.g. as abusive)'),
        })
        .refine((a) => a.type !== 'comment' || a.text !== undefined, {
          message: 'text is required for a comment',
          path: ['text'],
        }),
      output: z.object({
        interactionId: z.string(),
        postId: z.string(),
        type: z.enum(INTERACTION_TYPES),
        commentId: z.string().optional(),
      }),
      annotations: { destructiveHint: false, openWorldHint: true },
      run: (args) => platform.interact(args),
    }),
  ];
}

function errorResult(code: string, message: string, extra: Record<string, unknown> = {}): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify({ code, message, ...extra }) }], isError: true };
}

function failure(error: unknown): CallToolResult {
  if (error instanceof z.ZodError) {
    const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const message = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    return errorResult('BAD_INPUT', message, { issues });
  }
  if (error instanceof ToolError) return errorResult(error.code, error.message, error.extra);
  return errorResult('INTERNAL', error instanceof Error ? error.message : String(error));
}

/** One MCP server (protocol session) over the shared platform; create one per client connection. */
export function createMcpServer(ctx: ToolContext, log: (message: string) => void): Server {
  const defs = toolDefinitions(ctx);
  const byName = new Map(defs.map((d) => [d.tool.name, d]));
  const server = new Server(
    { name: 'chimera-social-sandbox', version: '1.0.0' },
    {
      capabilities: { tools: {} },
      instructions: 'A sandboxed social platform: post, reply, read mentions and metrics, simulate the audience.',
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: defs.map((d) => d.tool) }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const def = byName.get(request.params.name);
    if (!def) return errorResult('BAD_INPUT', `unknown tool ${request.params.name}`);
    try {
      const result = await def.run(request.params.arguments);
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    } catch (error) {
      if (!(error instanceof ToolError || error instanceof z.ZodError)) {
        log(`tool ${def.tool.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
      return failure(error);
    }
  });
  return server;
}
