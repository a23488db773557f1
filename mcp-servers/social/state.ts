// Persistent state of the social sandbox: the entity shapes (checked with zod when the file is loaded) and the JSON
// file they live in, rewritten atomically (temp file in the same directory, fsync, rename) after every change.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';

export const INTERACTION_TYPES = ['like', 'comment', 'share', 'view', 'click'] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

const count = z.number().int().nonnegative();

const AccountSchema = z.object({ handle: z.string(), displayName: z.string(), createdAt: z.string() });

const PostSchema = z.object({
  id: z.string(),
  account: z.string(),
  text: z.string(),
  url: z.string(),
  createdAt: z.string(),
  replyTo: z.object({ commentId: z.string(), postId: z.string() }).nullable(),
  idempotencyKey: z.string().nullable(),
  deleted: z.boolean(),
  metrics: z.object({ likes: count, comments: count, shares: count, views: count, clicks: count }),
});

const CommentSchema = z.object({
  id: z.string(),
  postId: z.string(),
  author: z.string(),
  text: z.string(),
  createdAt: z.string(),
  reported: z.boolean(),
});

const InteractionSchema = z.object({
  id: z.string(),
  postId: z.string(),
  type: z.enum(INTERACTION_TYPES),
  author: z.string(),
  occurredAt: z.string(),
  commentId: z.string().nullable(),
  reported: z.boolean(),
});

/** One interaction as it appears in a webhook event. */
const WebhookInteractionSchema = z.object({
  postId: z.string(),
  type: z.enum(INTERACTION_TYPES),
  occurredAt: z.string(),
  data: z.object({
    author: z.string(),
    text: z.string().optional(),
    commentId: z.string().optional(),
    reported: z.literal(true).optional(),
  }),
});

/** A webhook event waiting for (re)delivery; `body` is the exact JSON sent on every attempt. */
const OutboxEventSchema = z.object({ id: z.string(), body: z.string(), attempts: count, createdAt: z.string() });

/** Progress of one post's simulated audience (the plan itself is recomputed from the post id). */
const AudienceRunSchema = z.object({
  postId: z.string(),
  handle: z.string(),
  startedAt: z.string(),
  spanMs: z.number().int().positive(),
  fired: count,
});

const StateSchema = z.object({
  version: z.literal(1),
  accounts: z.array(AccountSchema),
  posts: z.array(PostSchema),
  comments: z.array(CommentSchema),
  interactions: z.array(InteractionSchema),
  outbox: z.object({ pending: z.array(WebhookInteractionSchema), events: z.array(OutboxEventSchema) }),
  audience: z.array(AudienceRunSchema),
});

export type Account = z.infer<typeof AccountSchema>;
export type Post = z.infer<typeof PostSchema>;
export type Comment = z.infer<typeof CommentSchema>;
export type Interaction = z.infer<typeof InteractionSchema>;
export type WebhookInteraction = z.infer<typeof WebhookInteractionSchema>;
export type OutboxEvent = z.infer<typeof OutboxEventSchema>;
export type AudienceRun = z.infer<typeof AudienceRunSchema>;
export type State = z.infer<typeof StateSchema>;

export class StateFileError extends Error {}

export function emptyState(): State {
  return {
    version: 1,
    accounts: [],
    posts: [],
    comments: [],
    interactions: [],
    outbox: { pending: [], events: [] },
    audience: [],
  };
}

/** A random id: prefix + `bytes * 2` lowercase hex characters. */
export function randomId(prefix: string, bytes = 6): string {
  return prefix + randomBytes(bytes).toString('hex');
}

export class StateStore {
  private constructor(
    readonly file: string,
    readonly state: State,
  ) {}

  /** Loads the state file (an absent file is an empty state). A file that does not parse throws StateFileError. */
  static open(file: string): StateStore {
    const path = resolve(file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        mkdirSync(dirname(path), { recursive: true });
        return new StateStore(path, emptyState());
      }
      throw new StateFileError(`cannot read state file ${path}: ${(error as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new StateFileError(`state file ${path} is corrupt (not JSON: ${(error as Error).message})`);
    }
    const parsed = StateSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown problem';
      throw new StateFileError(`state file ${path} is corrupt (unexpected shape at ${where})`);
    }
    return new StateStore(path, parsed.data);
  }

  /** Writes the whole state atomically: a crash leaves either the old or the new file, never a torn one. */
  save(): void {
    const dir = dirname(this.file);
    const temp = join(dir, `.${basename(this.file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const data = `${JSON.stringify(this.state, null, 1)}\n`;
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.file);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
    syncDirectory(dir);
  }
}

/** Makes the rename itself durable (best effort: not every platform can fsync a directory). */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // ignored
  }
}
