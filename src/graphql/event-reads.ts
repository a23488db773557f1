// One database read per subscription event, for every subscriber it reaches in this process. The Redis event target
// parses each message once and hands the same payload object to every listener, so a thousand subscribers of one
// agent's tasks need one read of the changed row (per selection), not a thousand. Each subscriber still runs the
// rule tree on the row with its own context: what it may see is decided per subscriber, only the read is shared.
// It relies on each event being a new object: an event target that handed one object to two events would give the
// second the first one's row (createRedisEventTarget parses every message anew).
const reads = new WeakMap<object, Map<string, Promise<unknown>>>();

/** `read()` once per event payload and Prisma selection (Pothos's `query`); later calls share its promise. */
export function readOncePerEvent<T>(payload: object, selection: unknown, read: () => Promise<T>): Promise<T> {
  let bySelection = reads.get(payload);
  if (!bySelection) {
    bySelection = new Map();
    reads.set(payload, bySelection);
  }
  const key = JSON.stringify(selection ?? null);
  let pending = bySelection.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = read();
    bySelection.set(key, pending);
  }
  return pending;
}
