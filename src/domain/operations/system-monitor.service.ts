// The system monitor's runner: every `everyMs` it takes this process's samples (requests answered, memory, a database
// ping), evaluates the system triggers (system-monitor.ts) and raises or resolves their alerts through the alert
// service, the path the security triggers use. An alert is raised once when its condition starts and resolved once
// when it is over. The level the raised triggers add up to is handed to `onEscalation`, which applies the level's
// response in the process (the face decides what that means there).
//
// The database may be the thing that is down: the on-call webhook is told at once all the same, and the alert row is
// written as soon as the database answers again (already resolved, if it is over by then).
import type { AlertInput, AlertService } from '../security/alerts.service.js';
import {
  type DatabaseSample,
  ESCALATION_PROCEDURES,
  type EscalationLevel,
  type Evaluation,
  escalationLevelOf,
  evaluateDatabase,
  evaluateErrorRate,
  evaluateMemory,
  evaluateResponseTime,
  LEVEL_RESPONSES,
  type MemorySample,
  type MonitorSettings,
  type RequestBucket,
  SYSTEM_TRIGGERS,
  type SystemTrigger,
  step,
  TRIGGER_LEVELS,
} from './system-monitor.js';

const SEVERITY: Readonly<Record<EscalationLevel, AlertInput['severity']>> = { 1: 'medium', 2: 'high', 3: 'critical' };

export interface Samplers {
  /** Requests this process answered, in slices (absent: the request triggers are not evaluated here). */
  requests?: () => readonly RequestBucket[];
  memory?: () => { usedBytes: number; limitBytes: number };
  /** Resolves when the database answers; rejects (or outlives timeoutMs) when it does not. */
  database?: () => Promise<unknown>;
}

export interface EscalationState {
  level: 0 | EscalationLevel;
  raised: Readonly<Record<SystemTrigger, boolean>>;
}

export interface SystemMonitorDeps {
  settings: MonitorSettings;
  samplers: Samplers;
  alerts: Pick<AlertService, 'raise' | 'resolve' | 'notify'>;
  /** Names this process in the alerts (several processes report separately). */
  instance: string;
  onEscalation?: (state: EscalationState) => void;
  /** A trigger raised or resolved (for the log). */
  onEvent?: (event: 'raised' | 'resolved', trigger: SystemTrigger, evaluation: Evaluation) => void;
  onError?: (err: unknown, what: string) => void;
  now?: () => number;
  /** A ping or an alert write taking longer than this has failed (default 5 s). */
  timeoutMs?: number;
}

interface Open {
  input: AlertInput;
  raisedAt: number;
  /** The stored row; null while the database could not take it. */
  alertId: string | null;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createSystemMonitor(deps: SystemMonitorDeps) {
  const now = deps.now ?? Date.now;
  const timeoutMs = deps.timeoutMs ?? 5_000;
  const { settings, samplers } = deps;
  const memorySamples: MemorySample[] = [];
  const databaseSamples: DatabaseSample[] = [];
  const open = new Map<SystemTrigger, Open>();
  /** Writes the database could not take yet, retried every tick in order. */
  const unwritten: { what: string; run: () => Promise<void> }[] = [];
  let level: 0 | EscalationLevel = 0;

  const raisedMap = () =>
    Object.fromEntries(SYSTEM_TRIGGERS.map((t) => [t, open.has(t)])) as Record<SystemTrigger, boolean>;

  async function sample(at: number) {
    if (samplers.memory) {
      memorySamples.push({ at, ...samplers.memory() });
      const keepFrom = at - 2 * settings.memory.windowSeconds * 1000;
      while (memorySamples.length > 1 && (memorySamples[0] as MemorySample).at < keepFrom) memorySamples.shift();
    }
    if (samplers.database) {
      const ping = samplers.database;
      const ok = await withTimeout(ping(), timeoutMs, 'the database').then(
        () => ({ at, ok: true }),
        (err: unknown) => ({ at, ok: false, error: message(err) }),
      );
      databaseSamples.push(ok);
      while (databaseSamples.length > Math.max(10, settings.database.failures)) databaseSamples.shift();
    }
  }

  function evaluate(at: number): Partial<Record<SystemTrigger, Evaluation>> {
    const out: Partial<Record<SystemTrigger, Evaluation>> = {};
    if (samplers.requests) {
      const buckets = samplers.requests();
      out.error_rate = evaluateErrorRate(buckets, at, settings.errorRate);
      out.response_time = evaluateResponseTime(buckets, at, settings.responseTime);
    }
    if (samplers.memory) out.memory = evaluateMemory(memorySamples, at, settings.memory);
    if (samplers.database) out.database = evaluateDatabase(databaseSamples, settings.database);
    return out;
  }

  async function flushUnwritten() {
    while (unwritten.length > 0) {
      const next = unwritten[0] as (typeof unwritten)[number];
      try {
        await withTimeout(next.run(), timeoutMs, 'the database');
      } catch (err) {
        deps.onError?.(err, `${next.what} (retried next time)`);
        return;
      }
      unwritten.shift();
    }
  }

  async function raise(trigger: SystemTrigger, e: Evaluation, at: number) {
    const lvl = TRIGGER_LEVELS[trigger];
    const input: AlertInput = {
      kind: `system_${trigger}`,
      severity: SEVERITY[lvl],
      level: lvl,
      message: `Level ${lvl} (${ESCALATION_PROCEDURES[lvl]}) on ${deps.instance}: ${e.summary}`,
      details: {
        trigger,
        level: lvl,
        procedure: ESCALATION_PROCEDURES[lvl],
        response: LEVEL_RESPONSES[lvl],
        instance: deps.instance,
        observed: e.observed,
        threshold: e.threshold,
        ...e.details,
        // For pagers that group repeats (PagerDuty's dedup_key, Opsgenie's alias).
        dedupeKey: `chimera:${deps.instance}:${trigger}`,
      },
    };
    const entry: Open = { input, raisedAt: at, alertId: null };
    open.set(trigger, entry);
    let stored: { id: string } | null = null;
    try {
      stored = await withTimeout(deps.alerts.raise(input, { notify: false }), timeoutMs, 'the database');
      entry.alertId = stored.id;
    } catch (err) {
      deps.onError?.(err, `store the ${trigger} alert (the webhook is told now, the row is written later)`);
      unwritten.push({
        what: `store the ${trigger} alert`,
        run: async () => {
          if (entry.alertId) return;
          entry.alertId = (await deps.alerts.raise(entry.input, { notify: false })).id;
        },
      });
    }
    await deps.alerts.notify('raised', stored ?? { ...unstoredView(input, at), stored: false });
    deps.onEvent?.('raised', trigger, e);
  }

  async function resolve(trigger: SystemTrigger, e: Evaluation, at: number) {
    const entry = open.get(trigger);
    open.delete(trigger);
    if (!entry) return;
    const resolution = { at: new Date(at).toISOString(), summary: e.summary, observed: e.observed, ...e.details };
    const resolveStored = async (id: string) => {
      await deps.alerts.resolve(id, resolution, { notify: false });
    };
    let done = false;
    if (entry.alertId) {
      try {
        await withTimeout(resolveStored(entry.alertId), timeoutMs, 'the database');
        done = true;
      } catch (err) {
        deps.onError?.(err, `record the ${trigger} alert's resolution (retried next time)`);
      }
    }
    if (!done) {
      // Not stored yet (its store is queued: the resolution follows it), or the resolve failed: retry in order.
      unwritten.push({
        what: `resolve the ${trigger} alert`,
        run: async () => {
          if (entry.alertId) return resolveStored(entry.alertId);
          const details = { ...entry.input.details, resolution };
          const row = await deps.alerts.raise({ ...entry.input, details, resolvedAt: new Date(at) }, { notify: false });
          entry.alertId = row.id;
        },
      });
      // The queued store would write it as open: the resolve job writes it resolved instead.
      const queuedStore = unwritten.findIndex((u) => u.what === `store the ${trigger} alert`);
      if (queuedStore >= 0 && !entry.alertId) unwritten.splice(queuedStore, 1);
    }
    await deps.alerts.notify('resolved', {
      ...unstoredView(entry.input, entry.raisedAt),
      id: entry.alertId,
      resolvedAt: new Date(at).toISOString(),
      details: { ...entry.input.details, resolution },
      stored: done,
    });
    deps.onEvent?.('resolved', trigger, e);
  }

  let running: Promise<EscalationState> | null = null;
  let timer: NodeJS.Timeout | undefined;

  async function tickOnce(): Promise<EscalationState> {
    const at = now();
    await sample(at);
    await flushUnwritten();
    const evaluations = evaluate(at);
    for (const trigger of SYSTEM_TRIGGERS) {
      const e = evaluations[trigger];
      if (!e) continue;
      const next = step(open.has(trigger), e);
      try {
        if (next.event === 'raise') await raise(trigger, e, at);
        else if (next.event === 'resolve') await resolve(trigger, e, at);
      } catch (err) {
        deps.onError?.(err, `${next.event} the ${trigger} alert`);
      }
    }
    const raised = raisedMap();
    level = escalationLevelOf(raised);
    const state: EscalationState = { level, raised };
    deps.onEscalation?.(state);
    return state;
  }

  return {
    /** Samples, evaluates and raises or resolves now; never two at once (a second call joins the first). */
    tick(): Promise<EscalationState> {
      running ??= tickOnce().finally(() => {
        running = null;
      });
      return running;
    },
    /** Ticks every `everyMs` (0: never) until stop(). */
    start(everyMs: number) {
      if (everyMs <= 0 || timer) return;
      timer = setInterval(() => {
        void this.tick().catch((err: unknown) => deps.onError?.(err, 'evaluate the system triggers'));
      }, everyMs);
      timer.unref();
    },
    /** Stops ticking and waits for a tick in progress. */
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
    /** The level the raised triggers add up to (0: none). */
    level: () => level,
    raised: raisedMap,
    /** The alert rows still to be written (the database was down). */
    pendingWrites: () => unwritten.length,
  };
}

export type SystemMonitor = ReturnType<typeof createSystemMonitor>;

function unstoredView(input: AlertInput, at: number) {
  return {
    id: null,
    kind: input.kind,
    severity: input.severity,
    level: input.level ?? null,
    message: input.message,
    details: input.details ?? {},
    createdAt: new Date(at).toISOString(),
    resolvedAt: null as string | null,
  };
}
