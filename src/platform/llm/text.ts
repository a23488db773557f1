// Small text utilities shared by the providers: length caps, emoji, and words a persona never uses.

const EMOJI = /\p{Extended_Pictographic}(?:\uFE0F|\u200D\p{Extended_Pictographic})*/gu;

export function hasEmoji(text: string): boolean {
  return text.search(EMOJI) !== -1;
}

export function countEmoji(text: string): number {
  return text.match(EMOJI)?.length ?? 0;
}

export function stripEmoji(text: string): string {
  return tidy(text.replace(EMOJI, '').replace(/\uFE0F/g, ''));
}

/** Collapses runs of spaces and the spaces a removal leaves before punctuation. */
export function tidy(text: string): string {
  return text
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ ([,.;:!?])/g, '$1')
    .trim();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The avoided words that occur in the text (case-insensitive, also inside longer words). */
export function avoidedWordsIn(text: string, wordsToAvoid: readonly string[]): string[] {
  const lower = text.toLowerCase();
  return wordsToAvoid.filter((w) => w.trim() !== '' && lower.includes(w.trim().toLowerCase()));
}

/** Removes every avoided word or phrase, together with the rest of any word it sits in. */
export function removeAvoidedWords(text: string, wordsToAvoid: readonly string[]): string {
  let out = text;
  for (const word of wordsToAvoid) {
    const w = word.trim();
    if (w === '') continue;
    out = out.replace(new RegExp(`[^\\s]*${escapeRegExp(w)}[^\\s]*`, 'giu'), '');
  }
  return tidy(out);
}

function cutAt(text: string, end: number): string {
  const code = text.charCodeAt(end - 1);
  // Never split a surrogate pair.
  return code >= 0xd800 && code <= 0xdbff ? text.slice(0, end - 1) : text.slice(0, end);
}

/**
 * Fits text into max UTF-16 code units: at the last sentence end if that keeps at least half, else at the last
 * space (with an ellipsis), else a hard cut.
 */
export function fitToLength(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  if (max <= 1) return { text: cutAt(text, max), truncated: true };
  const head = cutAt(text, max);
  const sentenceEnd = Math.max(head.lastIndexOf('. '), head.lastIndexOf('! '), head.lastIndexOf('? '));
  if (sentenceEnd >= max / 2) return { text: head.slice(0, sentenceEnd + 1), truncated: true };
  const room = cutAt(text, max - 1);
  const space = room.lastIndexOf(' ');
  const cut = space >= max / 3 ? room.slice(0, space) : room;
  return { text: `${cut.replace(/[\s,;:—-]+$/u, '')}…`, truncated: true };
}
