// The spec's "Trend Data" pipeline: MCP sources → Redis cache → normalize timestamps, extract keywords, calculate
// relevance, deduplicate → PostgreSQL trends → embeddings → TrendAnalysis in the vector store.
//
//   cache       cache:trends:{topic_hash} holds each item for an hour once stored: the same headline again within
//               the hour is skipped before any work (exact deduplication across fetches and processes)
//   timestamps  an item's date, parsed, in UTC; missing or in the future → now; older than the trend lifetime → dropped
//   relevance   0.5 · recency (half-life 12 h) + 0.25 · corroboration (distinct sources, full at 3)
//               + 0.25 · affinity (similarity to the nearest active persona's profile)
//   duplicates  the same headline (its hash) is one trend; so is a headline whose embedding is within NEAR_DUPLICATE
//               cosine of a live trend's, or within SAME_STORY cosine when the two also name the same thing (a
//               product, a company): the same story told again. The trend is corroborated (a source added, relevance
//               recomputed, lifetime extended, an observation added to its history) instead of doubled. On the
//               offline embeddings, one story told by two feeds scores 0.71–0.85 and two stories on one subject up
//               to 0.75, so similarity alone cannot tell them apart; the shared name can.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../platform/db/prisma.js';
import type { Embedder } from '../../platform/embeddings/embeddings.js';
import { cosine } from '../../platform/embeddings/embeddings.js';
import { embeddingTextOf } from '../../platform/vector/vector-store.js';
import type { MemoryService } from '../memory/memory.service.js';
import { asJson } from '../shared/json.js';
import { personaProfile } from '../swarm/confidence.js';
import { personaOfAgent } from '../swarm/persona-of.js';
import { extractEntities, extractKeywords, sentimentOf } from './text-signals.js';

export const TREND_DETECTED_TOPIC = 'trends:detected';
export const TREND_CACHE_SECONDS = 3_600;
/** Cosine similarity of two headlines (topic + keywords) above which they are one story. */
export const NEAR_DUPLICATE = 0.88;
/** … and above which they are one story when they also name the same thing. */
export const SAME_STORY = 0.65;
export const RECENCY_HALF_LIFE_HOURS = 12;
export const RELEVANCE_WEIGHTS = { recency: 0.5, corroboration: 0.25, affinity: 0.25 } as const;
/** Persona affinity: cosine to the profile, mapped from [floor, full] onto [0, 1] (as persona consistency does). */
const AFFINITY = { floor: 0.05, full: 0.35 } as const;
const MAX_OBSERVATIONS = 50;
const MAX_SOURCES = 20;

/** A source of trends: reads an MCP resource (the hub). */
export interface TrendSource {
  readResource(uri: string): Promise<{ server: string; text: string }>;
}

export interface IngestionDeps {
  db: Database;
  redis: Redis;
  mcp: TrendSource;
  memory: MemoryService;
  embedder: Embedder;
  /** How long a trend lives without being seen again. */
  ttlHours: number;
  publish?: (topic: string, payload: { id: string }) => void;
  now?: () => Date;
}

const itemSchema = z.object({
  id: z.string().optional(),
  title: z.string(),
  summary: z.string().nullish(),
  url: z.string().nullish(),
  publishedAt: z.string().nullish(),
  source: z.object({ feedId: z.string(), title: z.string().nullish(), url: z.string().nullish() }).nullish(),
  categories: z.array(z.string()).nullish(),
});
const resourceSchema = z.object({ items: z.array(z.unknown()) });

/** Where a trend was seen. */
export interface TrendSighting {
  source: string;
  title: string;
  url: string | null;
  publishedAt: string;
}

export interface TrendObservation {
  at: string;
  relevance: number;
  source: string;
}

/** What Chimera keeps in trends.metadata. */
export interface TrendMetadata {
  topicHash: string;
  summary: string;
  keywords: string[];
  /** The names its headlines mention (see extractEntities). */
  entities: string[];
  sentiment: string;
  platforms: string[];
  sources: TrendSighting[];
  observations: TrendObservation[];
  /** When the newest sighting was published (recency is measured from it). */
  latestAt: string;
}

export interface IngestionReport {
  source: string;
  items: number;
  created: string[];
  corroborated: string[];
  /** Seen within the cache hour: skipped before any work. */
  cached: number;
  /** Older than the trend lifetime. */
  stale: number;
  /** Items that could not be read (no title, not an object). */
  invalid: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

export const topicHashOf = (topic: string) =>
  createHash('sha256').update(topic.toLowerCase().replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 32);

/** The documented relevance of a trend, 0..1, two decimals. */
export function relevanceOf(p: { ageHours: number; sources: number; affinity: number }): number {
  const recency = 0.5 ** (Math.max(0, p.ageHours) / RECENCY_HALF_LIFE_HOURS);
  const corroboration = Math.min(1, Math.max(0, p.sources - 1) / 2);
  const w = RELEVANCE_WEIGHTS;
  return round2(clamp01(w.recency * recency + w.corroboration * corroboration + w.affinity * clamp01(p.affinity)));
}

/** An item's date in UTC: missing, unreadable or in the future → now. */
function normalizeDate(value: string | null | undefined, now: Date): Date {
  const t = value ? Date.parse(value) : Number.NaN;
  return Number.isFinite(t) && t <= now.getTime() ? new Date(t) : now;
}

const metadataOf = (v: unknown): TrendMetadata | null => {
  const m = v as Partial<TrendMetadata> | null;
  return m && typeof m.topicHash === 'string' && Array.isArray(m.sources) ? (m as TrendMetadata) : null;
};

/** The pipeline's dependencies out of a stage's, or null when one is missing (no hub, no Redis, no memory). */
export function ingestionFrom(d: {
  db: Database;
  redis?: Redis | undefined;
  mcp?: TrendSource | undefined;
  memory?: MemoryService | undefined;
  embedder?: Embedder | undefined;
  trends?: { ttlHours: number } | undefined;
  publish?: ((topic: string, payload: { id: string }) => void) | undefined;
}): IngestionDeps | null {
  const { db, redis, mcp, memory, embedder, trends, publish } = d;
  return redis && mcp && memory && embedder && trends
    ? { db, redis, mcp, memory, embedder, ttlHours: trends.ttlHours, publish }
    : null;
}

export async function ingestTrends(deps: IngestionDeps, sources: readonly string[]): Promise<IngestionReport[]> {
  const reports: IngestionReport[] = [];
  const personas = await personaVectors(deps);
  for (const source of sources) reports.push(await ingestSource(deps, source, personas));
  return reports;
}

/** The profile vectors of the active agents' personas (affinity is measured against them). */
async function personaVectors(deps: IngestionDeps): Promise<number[][]> {
  const agents = await deps.db.agent.findMany({ where: { active: true }, select: { id: true }, take: 50 });
  const profiles = await Promise.all(agents.map(async (a) => personaProfile(await personaOfAgent(deps.db, a.id))));
  const unique = [...new Set(profiles.filter((p) => p.trim()))];
  return unique.length ? deps.embedder.embed(unique) : [];
}

async function ingestSource(deps: IngestionDeps, source: string, personas: number[][]): Promise<IngestionReport> {
  const now = deps.now?.() ?? new Date();
  const report: IngestionReport = {
    source,
    items: 0,
    created: [],
    corroborated: [],
    cached: 0,
    stale: 0,
    invalid: 0,
  };
  const resource = await deps.mcp.readResource(source);
  let parsed: unknown;
  try {
    parsed = JSON.parse(resource.text);
  } catch {
    throw new Error(`${source} did not return JSON`);
  }
  const body = resourceSchema.safeParse(parsed);
  if (!body.success) throw new Error(`${source} returned JSON without an "items" list`);
  const ttlMs = deps.ttlHours * 3_600_000;
  for (const raw of body.data.items) {
    report.items += 1;
    const item = itemSchema.safeParse(raw);
    const topic = item.success ? item.data.title.replace(/\s+/g, ' ').trim().slice(0, 500) : '';
    if (!item.success || !topic) {
      report.invalid += 1;
      continue;
    }
    const published = normalizeDate(item.data.publishedAt, now);
    if (now.getTime() - published.getTime() > ttlMs) {
      report.stale += 1;
      continue;
    }
    const hash = topicHashOf(topic);
    const cacheKey = `cache:trends:${hash}`;
    if (await deps.redis.exists(cacheKey)) {
      report.cached += 1;
      continue;
    }
    const summary = (item.data.summary ?? '').slice(0, 1000);
    const keywords = extractKeywords({ title: topic, summary, categories: item.data.categories ?? [] });
    const entities = extractEntities(`${topic}. ${summary}`);
    const sighting: TrendSighting = {
      source: item.data.source?.feedId ?? resource.server,
      title: topic,
      url: item.data.url ?? null,
      publishedAt: published.toISOString(),
    };
    const text = embeddingTextOf('TrendAnalysis', {
      id: '',
      trendId: '',
      topic,
      keywords,
      sentiment: '',
      platforms: [],
      metrics: [],
      detectedAt: now,
    });
    const [vector] = await deps.embedder.embed([text]);
    const affinity = Math.max(0, ...personas.map((p) => cosine(vector ?? [], p)));
    const scaledAffinity = clamp01((affinity - AFFINITY.floor) / (AFFINITY.full - AFFINITY.floor));
    const outcome = await store(deps, {
      topic,
      hash,
      summary,
      keywords,
      entities,
      sighting,
      text,
      affinity: scaledAffinity,
      platform: resource.server,
      now,
      ttlMs,
    });
    await deps.redis.set(cacheKey, JSON.stringify({ topic, trendId: outcome.id }), 'EX', TREND_CACHE_SECONDS);
    (outcome.created ? report.created : report.corroborated).push(outcome.id);
  }
  return report;
}

interface Candidate {
  topic: string;
  hash: string;
  summary: string;
  keywords: string[];
  entities: string[];
  sighting: TrendSighting;
  text: string;
  affinity: number;
  platform: string;
  now: Date;
  ttlMs: number;
}

/** The live trend this candidate repeats: the same headline, else the nearest within NEAR_DUPLICATE. */
async function existingTrend(deps: IngestionDeps, tx: Prisma.TransactionClient, c: Candidate) {
  const live = { active: true, expiresAt: { gt: c.now } };
  const same = await tx.trend.findFirst({ where: { ...live, metadata: { path: ['topicHash'], equals: c.hash } } });
  if (same) return same;
  const near = await deps.memory.relatedTrends(c.text, { after: new Date(c.now.getTime() - c.ttlMs) }, 5);
  const candidates = near.filter((h) => h.score >= SAME_STORY);
  if (candidates.length === 0) return null;
  const rows = await tx.trend.findMany({ where: { ...live, id: { in: candidates.map((h) => h.record.trendId) } } });
  const names = new Set(c.entities);
  for (const hit of candidates) {
    const row = rows.find((r) => r.id === hit.record.trendId);
    if (!row) continue;
    const shared = (metadataOf(row.metadata)?.entities ?? []).some((e) => names.has(e));
    if (hit.score >= NEAR_DUPLICATE || shared) return row;
  }
  return null;
}

async function store(deps: IngestionDeps, c: Candidate): Promise<{ id: string; created: boolean }> {
  const expiresAt = new Date(c.now.getTime() + c.ttlMs);
  const outcome = await deps.db.$transaction(async (tx) => {
    // One writer per headline at a time: two fetches of the same item make one trend.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`trend:${c.hash}`}))`;
    const existing = await existingTrend(deps, tx, c);
    const previous = existing ? metadataOf(existing.metadata) : null;
    const sources = [...(previous?.sources ?? [])];
    if (!sources.some((s) => s.source === c.sighting.source && s.title === c.sighting.title)) {
      sources.push(c.sighting);
    }
    const latestAt =
      [previous?.latestAt, c.sighting.publishedAt]
        .filter((d): d is string => !!d)
        .sort()
        .at(-1) ?? '';
    const relevance = relevanceOf({
      ageHours: (c.now.getTime() - Date.parse(latestAt)) / 3_600_000,
      sources: new Set(sources.map((s) => s.source)).size,
      affinity: c.affinity,
    });
    const observation: TrendObservation = { at: c.now.toISOString(), relevance, source: c.sighting.source };
    const metadata: TrendMetadata = {
      topicHash: previous?.topicHash ?? c.hash,
      summary: previous?.summary || c.summary,
      keywords: [...new Set([...(previous?.keywords ?? []), ...c.keywords])].slice(0, 12),
      entities: [...new Set([...(previous?.entities ?? []), ...c.entities])].slice(0, 30),
      sentiment: previous?.sentiment ?? sentimentOf(`${c.topic} ${c.summary}`),
      platforms: [...new Set([...(previous?.platforms ?? []), c.platform])],
      sources: sources.slice(-MAX_SOURCES),
      observations: [...(previous?.observations ?? []), observation].slice(-MAX_OBSERVATIONS),
      latestAt,
    };
    if (existing) {
      const row = await tx.trend.update({
        where: { id: existing.id },
        data: {
          relevanceScore: relevance,
          metadata: asJson(metadata),
          expiresAt: existing.expiresAt && existing.expiresAt > expiresAt ? existing.expiresAt : expiresAt,
        },
      });
      return { row, created: false };
    }
    const row = await tx.trend.create({
      data: { topic: c.topic, relevanceScore: relevance, metadata: asJson(metadata), expiresAt, active: true },
    });
    return { row, created: true };
  });
  const { row } = outcome;
  const meta = metadataOf(row.metadata);
  await deps.memory.indexTrend({
    trendId: row.id,
    topic: row.topic,
    keywords: meta?.keywords ?? c.keywords,
    platforms: meta?.platforms ?? [c.platform],
    sentiment: meta?.sentiment ?? 'neutral',
    metrics: [Number(row.relevanceScore ?? 0), meta?.sources.length ?? 1],
    detectedAt: row.detectedAt ?? c.now,
  });
  if (outcome.created) deps.publish?.(TREND_DETECTED_TOPIC, { id: row.id });
  return { id: row.id, created: outcome.created };
}

/** Trends past their expires_at go inactive; returns how many. */
export async function expireTrends(db: Database, now = new Date()): Promise<number> {
  const { count } = await db.trend.updateMany({
    where: { active: true, expiresAt: { lte: now } },
    data: { active: false },
  });
  return count;
}
