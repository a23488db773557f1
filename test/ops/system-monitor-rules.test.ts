// Property tests of the system triggers' rules (src/domain/operations/system-monitor.ts), against references
// computed here from the raw samples: the error share over the window, the nearest-rank 95th percentile, a memory
// ratio above the threshold for the whole window, consecutive failed pings — and the raise/resolve state machine.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRequestWindow,
  type DatabaseSample,
  escalationLevelOf,
  evaluateDatabase,
  evaluateErrorRate,
  evaluateMemory,
  evaluateResponseTime,
  isServerFault,
  type MemorySample,
  responseAt,
  SYSTEM_TRIGGERS,
  step,
  TRIGGER_LEVELS,
} from '../../src/domain/operations/system-monitor.js';

const BUCKET_MS = 1_000;
const NOW = 1_700_000_000_000; // a whole second
const RUNS = { numRuns: 300 };

/** Raw requests at whole milliseconds within the last `span` ms before NOW. */
const requestsArb = (span: number) =>
  fc.array(
    fc.record({
      ago: fc.integer({ min: 0, max: span }),
      error: fc.boolean(),
      durationMs: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(4_999, 5_000, 5_001)),
    }),
    { maxLength: 200 },
  );

/** The samples through the real request window, recorded in time order with its clock set to each one's time. */
function bucketsOf(requests: readonly { ago: number; error: boolean; durationMs: number }[], slowMs: number) {
  let clock = 0;
  const window = createRequestWindow({ keepMs: 10_000_000, slowMs, bucketMs: BUCKET_MS, now: () => clock });
  for (const r of [...requests].sort((a, b) => b.ago - a.ago)) {
    clock = NOW - r.ago;
    window.record(r);
  }
  clock = NOW;
  return window.buckets();
}

describe('the error-rate rule', () => {
  it('is active exactly when more than the threshold of at least minRequests requests in the window failed', () => {
    fc.assert(
      fc.property(
        requestsArb(20_000),
        fc.integer({ min: 1, max: 15 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        (requests, windowSeconds, threshold, minRequests) => {
          const e = evaluateErrorRate(bucketsOf(requests, 5_000), NOW, { threshold, windowSeconds, minRequests });
          const inWindow = requests.filter((r) => r.ago <= windowSeconds * 1000);
          const errors = inWindow.filter((r) => r.error).length;
          const expected = inWindow.length >= minRequests && errors / inWindow.length > threshold;
          expect(e.active).toBe(expected);
          expect(e.active && e.clear).toBe(false);
          if (inWindow.length < minRequests) expect(e.clear).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('never turns off when a request of the window turns into an error', () => {
    fc.assert(
      fc.property(requestsArb(10_000), fc.nat(), (requests, pick) => {
        const s = { threshold: 0.05, windowSeconds: 10, minRequests: 5 };
        const before = evaluateErrorRate(bucketsOf(requests, 5_000), NOW, s);
        if (requests.length === 0) return;
        const worse = requests.map((r, i) => (i === pick % requests.length ? { ...r, error: true } : r));
        const after = evaluateErrorRate(bucketsOf(worse, 5_000), NOW, s);
        if (before.active) expect(after.active).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('the response-time rule', () => {
  it('is active exactly when the nearest-rank p95 of at least minRequests response times exceeds the threshold', () => {
    fc.assert(
      fc.property(
        requestsArb(20_000),
        fc.integer({ min: 1, max: 15 }),
        fc.constantFrom(100, 1_000, 5_000),
        fc.integer({ min: 1, max: 40 }),
        (requests, windowSeconds, thresholdMs, minRequests) => {
          const e = evaluateResponseTime(bucketsOf(requests, thresholdMs), NOW, {
            thresholdMs,
            windowSeconds,
            minRequests,
          });
          const times = requests
            .filter((r) => r.ago <= windowSeconds * 1000)
            .map((r) => r.durationMs)
            .sort((a, b) => a - b);
          const p95 = times[Math.ceil(0.95 * times.length) - 1];
          const expected = times.length >= minRequests && p95 !== undefined && p95 > thresholdMs;
          expect(e.active).toBe(expected);
          expect(e.active && e.clear).toBe(false);
        },
      ),
      RUNS,
    );
  });
});

describe('the memory rule', () => {
  const samplesArb = fc
    .array(
      fc.record({ ago: fc.integer({ min: 0, max: 20_000 }), ratio: fc.double({ min: 0, max: 1.2, noNaN: true }) }),
      {
        maxLength: 40,
      },
    )
    .map((xs) =>
      [...xs]
        .sort((a, b) => b.ago - a.ago)
        .map(
          (x): MemorySample => ({ at: NOW - x.ago, usedBytes: Math.round(x.ratio * 1_000_000), limitBytes: 1_000_000 }),
        ),
    );

  it('is active exactly when the ratio has been above the threshold in every sample for the whole window', () => {
    fc.assert(
      fc.property(
        samplesArb,
        fc.integer({ min: 1, max: 15 }),
        fc.double({ min: 0.1, max: 1, noNaN: true }),
        (samples, windowSeconds, ratio) => {
          const e = evaluateMemory(samples, NOW, { ratio, windowSeconds });
          const over = (m: MemorySample) => m.usedBytes / m.limitBytes > ratio;
          // The run of samples above the ratio that ends with the latest one.
          let i = samples.length;
          while (i > 0 && over(samples[i - 1] as MemorySample)) i -= 1;
          const run = samples.slice(i);
          const expected = run.length > 0 && NOW - (run[0] as MemorySample).at >= windowSeconds * 1000;
          expect(e.active).toBe(expected);
          expect(e.active && e.clear).toBe(false);
          if (e.active) {
            for (const m of samples.filter((x) => x.at >= NOW - windowSeconds * 1000)) expect(over(m)).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });
});

describe('the database rule', () => {
  it('is active exactly when the last `failures` pings failed, and clear once one answers', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 20 }), fc.integer({ min: 1, max: 5 }), (oks, failures) => {
        const samples: DatabaseSample[] = oks.map((ok, i) => ({ at: i, ok, ...(ok ? {} : { error: 'refused' }) }));
        const e = evaluateDatabase(samples, { failures });
        const tail = oks.slice(-failures);
        expect(e.active).toBe(tail.length === failures && tail.every((ok) => !ok));
        expect(e.clear).toBe(oks.length === 0 || (oks.at(-1) as boolean));
        expect(e.active && e.clear).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('raising and resolving', () => {
  const evaluationArb = fc.constantFrom(
    { active: true, clear: false },
    { active: false, clear: true },
    { active: false, clear: false }, // in the hysteresis band: neither
  );

  it('raises once when a condition starts and resolves once when it is over: events alternate, no storm', () => {
    fc.assert(
      fc.property(fc.array(evaluationArb, { maxLength: 60 }), (evaluations) => {
        let raised = false;
        const events: string[] = [];
        for (const e of evaluations) {
          const next = step(raised, e);
          if (next.event === 'raise') expect(e.active).toBe(true);
          if (next.event === 'resolve') expect(e.clear).toBe(true);
          if (next.event) events.push(next.event);
          raised = next.raised;
        }
        for (const [i, ev] of events.entries()) expect(ev).toBe(i % 2 === 0 ? 'raise' : 'resolve');
        expect(raised).toBe(events.at(-1) === 'raise');
        // A condition that stays on raises one alert however many ticks it lasts.
        const raises = events.filter((ev) => ev === 'raise').length;
        expect(raises).toBeLessThanOrEqual(1 + evaluations.filter((e) => e.clear).length);
      }),
      RUNS,
    );
  });

  it('adds the raised triggers up to the highest of their levels, and responds to it', () => {
    fc.assert(
      fc.property(fc.subarray([...SYSTEM_TRIGGERS]), (raisedList) => {
        const raised = Object.fromEntries(raisedList.map((t) => [t, true]));
        const level = escalationLevelOf(raised);
        expect(level).toBe(Math.max(0, ...raisedList.map((t) => TRIGGER_LEVELS[t])));
        expect(responseAt(level)).toEqual({ shed: level >= 2, drain: level === 3 });
      }),
    );
  });
});

describe('what counts as an error', () => {
  it('is a 5xx or a server-fault code, never a refusal while shedding, never a client error', () => {
    const clientCodes = ['BAD_USER_INPUT', 'FORBIDDEN', 'UNAUTHENTICATED', 'NOT_FOUND', 'RATE_LIMITED', 'CONFLICT'];
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 599 }),
        fc.subarray(clientCodes),
        fc.boolean(),
        fc.boolean(),
        (status, codes, internal, shed) => {
          const errorCodes = internal ? [...codes, 'INTERNAL_SERVER_ERROR'] : codes;
          expect(isServerFault({ status, errorCodes, shed })).toBe(!shed && (status >= 500 || internal));
        },
      ),
      RUNS,
    );
  });
});
