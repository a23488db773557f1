// Word lists and patterns: the signals precise enough to trust on their own (word-lists.ts: slurs, sexual terms,
// profanity; patterns.ts: phrases). A check combines the strongest hit with the classifier's score
// (content-checks.ts#combine).
import { dedupe, type LexicalHit } from './hits.js';
import { patternHits } from './patterns.js';
import { wordListHits } from './word-lists.js';

export function lexicalHits(text: string): LexicalHit[] {
  return dedupe([...wordListHits(text), ...patternHits(text)]);
}
