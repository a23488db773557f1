// The simulated audience (SOCIAL_AUDIENCE=on): every new top-level post gets views, likes, maybe a share or a click,
// and one or two comments over SOCIAL_AUDIENCE_SPAN_MS. The plan is drawn from a PRNG seeded with the post id, so it
// is reproducible; progress is persisted, so a restarted server carries on where it stopped.
import type { InteractionInput } from './platform.js';
import type { AudienceRun, InteractionType, Post, StateStore } from './state.js';

export interface PlannedInteraction {
  /** Milliseconds after the post was created. */
  atMs: number;
  type: InteractionType;
  author: string;
  text?: string;
}

const AUTHORS = [
  '@maya_reads',
  '@tomcodes',
  '@lena.travels',
  '@raj_runs',
  '@sofia_bakes',
  '@kwame_k',
  '@noor_design',
  '@ben_outdoors',
  '@yuki_sketch',
  '@carla_fit',
];

const REMARKS = [
  'Love this!',
  'So true 🙌',
  'This made my day',
  'Great point, thanks for sharing',
  'Saving this for later',
  'Couldn’t agree more',
];

const QUESTIONS = [
  '@{handle} where did you learn this?',
  '@{handle} do you have a link with more details?',
  '@{handle} what would you recommend for a beginner?',
  '@{handle} how long did this take you?',
];

/** FNV-1a, 32 bits. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The audience's plan for one post, sorted by time: the same post id always gives the same plan. */
export function planAudience(postId: string, handle: string, spanMs: number): PlannedInteraction[] {
  const random = prng(hash(postId));
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = (pool: string[]) => pool[int(0, pool.length - 1)] as string;
  const plan: PlannedInteraction[] = [];
  const add = (type: InteractionType, text?: string) =>
    plan.push({ atMs: int(0, spanMs - 1), type, author: pick(AUTHORS), ...(text === undefined ? {} : { text }) });

  const views = int(10, 30);
  for (let i = 0; i < views; i++) add('view');
  const likes = int(1, 5);
  for (let i = 0; i < likes; i++) add('like');
  if (random() < 0.35) add('share');
  if (random() < 0.5) add('click');
  const question = () => pick(QUESTIONS).replace('{handle}', handle);
  add('comment', random() < 0.5 ? pick(REMARKS) : question());
  if (random() < 0.5) add('comment', question());
  return plan.sort((a, b) => a.atMs - b.atMs);
}

export interface AudienceOptions {
  enabled: boolean;
  spanMs: number;
  interact: (input: InteractionInput) => void;
  log: (message: string) => void;
}

export class AudienceSimulator {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly store: StateStore,
    private readonly options: AudienceOptions,
  ) {}

  /** Platform hook for a new top-level post: records the run (the platform saves) and schedules its first step. */
  onTopLevelPost(post: Post): void {
    if (!this.options.enabled || this.stopped) return;
    const run: AudienceRun = {
      postId: post.id,
      handle: post.account,
      startedAt: post.createdAt,
      spanMs: this.options.spanMs,
      fired: 0,
    };
    this.store.state.audience.push(run);
    this.schedule(run);
  }

  /** Resumes the runs a previous process left unfinished (even when the audience is now off: they were promised). */
  start(): void {
    for (const run of this.store.state.audience) this.schedule(run);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(run: AudienceRun): void {
    const next = planAudience(run.postId, run.handle, run.spanMs)[run.fired];
    if (!next || this.stopped) return;
    const delay = Math.max(0, Date.parse(run.startedAt) + next.atMs - Date.now());
    this.timers.set(run.postId, setTimeout(() => this.fire(run), delay).unref());
  }

  private fire(run: AudienceRun): void {
    this.timers.delete(run.postId);
    const plan = planAudience(run.postId, run.handle, run.spanMs);
    const step = plan[run.fired];
    run.fired += 1;
    if (!step || run.fired >= plan.length) this.finish(run);
    if (!step) {
      this.save();
      return;
    }
    try {
      this.options.interact({
        postId: run.postId,
        type: step.type,
        author: step.author,
        ...(step.text === undefined ? {} : { text: step.text }),
      });
    } catch (error) {
      // Typically the post was deleted meanwhile: the audience leaves.
      this.finish(run);
      this.save();
      this.options.log(`audience for ${run.postId} stopped: ${(error as Error).message}`);
      return;
    }
    this.schedule(run);
  }

  private finish(run: AudienceRun): void {
    const runs = this.store.state.audience;
    const index = runs.indexOf(run);
    if (index >= 0) runs.splice(index, 1);
  }

  private save(): void {
    try {
      this.store.save();
    } catch (error) {
      this.options.log(`cannot save the state: ${(error as Error).message}`);
    }
  }
}
