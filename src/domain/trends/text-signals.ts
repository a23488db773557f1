// What a trend's text says, cheaply: its keywords (title words weigh double, categories always count), the names it
// mentions, and a coarse sentiment from a small word list. Deterministic and offline; the embeddings carry the
// meaning.

const STOPWORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between ' +
    'both but by can could did do does doing down during each few for from further had has have having he her here ' +
    'hers herself him himself his how i if in into is it its itself just me more most my myself new no nor not now ' +
    'of off on once only or other our ours ourselves out over own same she should so some such than that the their ' +
    'theirs them themselves then there these they this those through to too under until up very was we were what ' +
    'when where which while who whom why will with would you your yours yourself yourselves says said say week ' +
    'today year years one two three first last next get gets got make makes made way ways use uses used via vs'
  ).split(' '),
);

const POSITIVE = new Set(
  (
    'launch launches launched win wins won growth grows record best breakthrough improve improves improved boost ' +
    'boosts success successful gain gains surge surges open free faster cheaper better love loved celebrate ' +
    'celebrates milestone award funding funded raises raised expands expansion release released'
  ).split(' '),
);
const NEGATIVE = new Set(
  (
    'lawsuit sues sued ban bans banned breach breaches hack hacked leak leaked layoffs layoff cuts cut crash ' +
    'crashes outage fails failed failure decline declines drop drops fine fined scandal warning warns risk risks ' +
    'recall recalls shutdown shuts fraud delay delayed loss losses controversy backlash'
  ).split(' '),
);

const words = (text: string) =>
  (text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []).map((w) => w.replace(/'s$/, ''));

/** The `max` most telling words of a title and summary (title words count twice), then the categories. */
export function extractKeywords(input: { title: string; summary?: string; categories?: readonly string[] }, max = 8) {
  const counts = new Map<string, number>();
  const add = (w: string, n: number) => {
    if (w.length < 3 || STOPWORDS.has(w) || /^\d+$/.test(w)) return;
    counts.set(w, (counts.get(w) ?? 0) + n);
  };
  for (const w of words(input.title)) add(w, 2);
  for (const w of words(input.summary ?? '')) add(w, 1);
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([w]) => w);
  const categories = (input.categories ?? []).map((c) => c.trim().toLowerCase()).filter(Boolean);
  return [...new Set([...categories, ...ranked])].slice(0, max);
}

export type Sentiment = 'positive' | 'negative' | 'neutral';

/** positive / negative when one side's words clearly outnumber the other's, else neutral. */
export function sentimentOf(text: string): Sentiment {
  let score = 0;
  for (const w of words(text)) {
    if (POSITIVE.has(w)) score += 1;
    else if (NEGATIVE.has(w)) score -= 1;
  }
  return score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral';
}

/**
 * The names a text mentions (lower-cased): capitalized words that do not open a sentence, and words with a capital
 * or a digit inside (SunCast, GPT-5, 14B) wherever they stand. Two headlines of one story share a name ("Lumen",
 * "Clipwave"); two stories on one subject usually do not.
 */
export function extractEntities(text: string): string[] {
  const found = new Set<string>();
  for (const sentence of text.split(/(?<=[.!?:;])\s+|\n+/)) {
    const tokens = sentence.match(/[\p{L}\p{N}][\p{L}\p{N}.'’-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu) ?? [];
    tokens.forEach((raw, i) => {
      const token = raw.replace(/['’]s$/, '');
      const capital = /^\p{Lu}/u.test(token);
      const inner = /.\p{Lu}|\p{N}/u.test(token) && /\p{L}/u.test(token);
      if (!(capital && i > 0) && !inner) return;
      const word = token.toLowerCase();
      if (word.length < 3 || STOPWORDS.has(word)) return;
      found.add(word);
    });
  }
  return [...found];
}
