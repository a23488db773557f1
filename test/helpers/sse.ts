// Server-Sent Events framing: splits a text buffer into complete events (blank-line separated blocks of
// `event:` and `data:` lines) and the incomplete rest.
export interface SseEvent {
  event: string | undefined;
  data: string;
}

export function takeSseEvents(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  let rest = buffer;
  for (let cut = rest.indexOf('\n\n'); cut >= 0; cut = rest.indexOf('\n\n')) {
    const lines = rest.slice(0, cut).split('\n');
    rest = rest.slice(cut + 2);
    const event = lines
      .find((l) => l.startsWith('event:'))
      ?.slice(6)
      .trim();
    const data = lines
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim())
      .join('\n');
    events.push({ event, data });
  }
  return { events, rest };
}
