// The rules of the sandbox platform: accounts, posts and replies (idempotency keys, the sliding-window post quota),
// comments and mentions, metrics, deletion, and interactions. Every change is persisted before the method returns.
import type { Account, Comment, InteractionType, Post, StateStore, WebhookInteraction } from './state.js';
import { randomId } from './state.js';

export type ErrorCode = 'BAD_INPUT' | 'NOT_FOUND' | 'QUOTA_EXCEEDED' | 'INTERNAL';

/** A failure a tool reports to its caller as `{ code, message, ...extra }`. */
export class ToolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface PlatformOptions {
  /** Origin that post URLs start with (`<publicBase>/posts/<id>`); may be set once the HTTP port is known. */
  publicBase: string;
  postQuota: number;
  quotaWindowMs: number;
  now?: () => number;
}

export interface PlatformHooks {
  /** Called (before the state is saved) for every recorded interaction. */
  onInteraction?: (interaction: WebhookInteraction) => void;
  /** Called (before the state is saved) for every new top-level post. */
  onTopLevelPost?: (post: Post) => void;
}

export interface PostResult {
  post: Post;
  duplicate: boolean;
}

export interface Mention {
  commentId: string;
  postId: string;
  author: string;
  text: string;
  createdAt: string;
}

export interface Quota {
  account: string;
  limit: number;
  windowMs: number;
  used: number;
  remaining: number;
  resetAt: string | null;
}

export interface InteractionInput {
  postId: string;
  type: InteractionType;
  author?: string;
  text?: string;
  reported?: boolean;
}

export interface InteractionResult {
  interactionId: string;
  postId: string;
  type: InteractionType;
  commentId?: string;
}

const METRIC: Record<InteractionType, keyof Post['metrics']> = {
  like: 'likes',
  comment: 'comments',
  share: 'shares',
  view: 'views',
  click: 'clicks',
};

function newestFirst<T extends { createdAt: string }>(items: T[]): T[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => b.item.createdAt.localeCompare(a.item.createdAt) || b.index - a.index)
    .map(({ item }) => item);
}

export class Platform {
  hooks: PlatformHooks = {};
  private readonly now: () => number;

  constructor(
    private readonly store: StateStore,
    readonly options: PlatformOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  private get state() {
    return this.store.state;
  }

  /** Creates the given accounts if they do not exist yet (SOCIAL_ACCOUNTS). */
  seedAccounts(handles: string[]): void {
    const before = this.state.accounts.length;
    for (const handle of handles) this.account(handle);
    if (this.state.accounts.length !== before) this.store.save();
  }

  accounts(): Account[] {
    return this.state.accounts;
  }

  /** All posts, newest first. */
  posts(account?: string): Post[] {
    const handle = account?.toLowerCase();
    return newestFirst(this.state.posts.filter((p) => handle === undefined || p.account === handle));
  }

  commentsOf(postId: string): Comment[] {
    return newestFirst(this.state.comments.filter((c) => c.postId === postId));
  }

  findPost(postId: string): Post | undefined {
    return this.state.posts.find((p) => p.id === postId);
  }

  /** post_content (replyTo null) and reply_to_comment. */
  publish(input: { account: string; text: string; idempotencyKey?: string; commentId?: string }): PostResult {
    const handle = input.account.toLowerCase();
    const key = input.idempotencyKey ?? null;
    if (key !== null) {
      const existing = this.state.posts.find((p) => p.account === handle && p.idempotencyKey === key);
      if (existing) return { post: existing, duplicate: true };
    }
    let replyTo: Post['replyTo'] = null;
    if (input.commentId !== undefined) {
      const comment = this.state.comments.find((c) => c.id === input.commentId);
      const parent = comment && this.findPost(comment.postId);
      if (!comment || !parent || parent.deleted) {
        throw new ToolError('NOT_FOUND', `no comment ${input.commentId}`, { commentId: input.commentId });
      }
      replyTo = { commentId: comment.id, postId: comment.postId };
    }
    const quota = this.quota(handle);
    if (quota.remaining <= 0) {
      const retryAfterMs = Math.max(1, Date.parse(quota.resetAt ?? '') - this.now());
      throw new ToolError(
        'QUOTA_EXCEEDED',
        `@${handle} has published ${quota.used} posts in the last ${quota.windowMs} ms (limit ${quota.limit})`,
        { limit: quota.limit, windowMs: quota.windowMs, retryAfterMs },
      );
    }
    this.account(handle);
    const id = randomId('post_');
    const post: Post = {
      id,
      account: handle,
      text: input.text,
      url: `${this.options.publicBase}/posts/${id}`,
      createdAt: new Date(this.now()).toISOString(),
      replyTo,
      idempotencyKey: key,
      deleted: false,
      metrics: { likes: 0, comments: 0, shares: 0, views: 0, clicks: 0 },
    };
    this.state.posts.push(post);
    if (replyTo === null) this.hooks.onTopLevelPost?.(post);
    this.store.save();
    return { post, duplicate: false };
  }

  quota(account: string): Quota {
    const handle = account.toLowerCase();
    const { postQuota: limit, quotaWindowMs: windowMs } = this.options;
    const since = this.now() - windowMs;
    const inWindow = this.state.posts
      .filter((p) => p.account === handle && Date.parse(p.createdAt) > since)
      .map((p) => Date.parse(p.createdAt));
    const oldest = inWindow.length > 0 ? Math.min(...inWindow) : null;
    return {
      account: handle,
      limit,
      windowMs,
      used: inWindow.length,
      remaining: Math.max(0, limit - inWindow.length),
      resetAt: oldest === null ? null : new Date(oldest + windowMs).toISOString(),
    };
  }

  /** Comments on the account's (live) posts plus comments anywhere that contain `@<handle>`, newest first. */
  mentions(account: string, since: string | undefined, limit: number): Mention[] {
    const handle = account.toLowerCase();
    const tag = new RegExp(`@${handle}(?![a-z0-9_])`, 'i');
    const after = since === undefined ? null : Date.parse(since);
    const live = new Map(this.state.posts.filter((p) => !p.deleted).map((p) => [p.id, p]));
    const found = this.state.comments.filter((c) => {
      const post = live.get(c.postId);
      if (!post || (post.account !== handle && !tag.test(c.text))) return false;
      return after === null || Date.parse(c.createdAt) > after;
    });
    return newestFirst(found)
      .slice(0, limit)
      .map((c) => ({ commentId: c.id, postId: c.postId, author: c.author, text: c.text, createdAt: c.createdAt }));
  }

  metrics(postId: string): Post['metrics'] & { postId: string; updatedAt: string } {
    const post = this.findPost(postId);
    if (!post) throw new ToolError('NOT_FOUND', `no post ${postId}`, { postId });
    let updatedAt = post.createdAt;
    for (const i of this.state.interactions) {
      if (i.postId === postId && i.occurredAt > updatedAt) updatedAt = i.occurredAt;
    }
    return { postId, ...post.metrics, updatedAt };
  }

  deletePost(account: string, postId: string): { postId: string; deleted: true } {
    const post = this.findPost(postId);
    if (!post || post.account !== account.toLowerCase()) {
      throw new ToolError('NOT_FOUND', `@${account.toLowerCase()} has no post ${postId}`, { postId });
    }
    if (!post.deleted) {
      post.deleted = true;
      this.store.save();
    }
    return { postId, deleted: true };
  }

  /** The audience acting on a post: updates metrics, stores comments, queues the webhook. */
  interact(input: InteractionInput): InteractionResult {
    const post = this.findPost(input.postId);
    if (!post || post.deleted) throw new ToolError('NOT_FOUND', `no post ${input.postId}`, { postId: input.postId });
    if (input.type === 'comment' && !input.text) throw new ToolError('BAD_INPUT', 'a comment needs a text');
    const occurredAt = new Date(this.now()).toISOString();
    const rawAuthor = input.author?.trim() || '@audience';
    const author = rawAuthor.startsWith('@') ? rawAuthor : `@${rawAuthor}`;
    const reported = input.reported === true;
    let commentId: string | null = null;
    if (input.type === 'comment') {
      commentId = randomId('cmt_');
      const text = input.text ?? '';
      this.state.comments.push({ id: commentId, postId: post.id, author, text, createdAt: occurredAt, reported });
    }
    const interactionId = randomId('int_');
    this.state.interactions.push({
      id: interactionId,
      postId: post.id,
      type: input.type,
      author,
      occurredAt,
      commentId,
      reported,
    });
    post.metrics[METRIC[input.type]] += 1;
    this.hooks.onInteraction?.({
      postId: post.id,
      type: input.type,
      occurredAt,
      data: {
        author,
        ...(commentId !== null ? { text: input.text ?? '', commentId } : {}),
        ...(reported ? { reported: true as const } : {}),
      },
    });
    this.store.save();
    return { interactionId, postId: post.id, type: input.type, ...(commentId !== null ? { commentId } : {}) };
  }

  private account(handle: string): Account {
    const existing = this.state.accounts.find((a) => a.handle === handle);
    if (existing) return existing;
    const account = { handle, displayName: handle, createdAt: new Date(this.now()).toISOString() };
    this.state.accounts.push(account);
    return account;
  }
}
