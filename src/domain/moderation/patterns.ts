// Patterns for phrases a word list cannot see: a dosage, "guaranteed returns", "fake IDs", "I know where you live",
// a group named next to dehumanising words. Each has the subcategory it signals and a weight (STRONG decides alone;
// MEDIUM and WEAK only tip a classifier that already leans that way — see content-checks.ts#combine).
import { dedupe, type LexicalHit } from './hits.js';
import type { Subcategory } from './model.js';

interface Pattern {
  signal: Subcategory;
  weight: number;
  re: RegExp;
}

const STRONG = 0.85;
const MEDIUM = 0.6;
const WEAK = 0.3;

const DRUGS =
  'pills|molly|mdma|coke|cocaine|crack|meth|heroin|xanax|xans|oxys?|oxycontin|percs?|fentanyl|ketamine|shrooms|opioids|lsd|acid tabs';
const GROUPS =
  'immigrants?|migrants?|refugees?|foreigners|muslims?|jews|jewish people|christians|catholics|hindus|sikhs|buddhists|atheists|blacks|black people|whites|white people|asians|chinese|mexicans|arabs|africans|indians|gypsies|roma|gays|gay people|lesbians|homosexuals|bisexuals|trans people|transgender people|women|girls|disabled people|autistic people';
const DEHUMANISING =
  'vermin|animals|parasites|subhuman|savages|cockroaches|rats|filth|filthy|a disease|a plague|a cancer|infest\\w*|breed like|scum|trash|freaks|inferior|mongrels|born (thieves|criminals|liars)|genetically (inferior|less)';
const EXCLUSION =
  "go back to|send (them|'?em) (all )?back|deport (them|all)|should (all )?be (banned|deported|removed|exterminated|eliminated|sterili[sz]ed)|don'?t belong|better off without them|shouldn'?t be allowed|deserve no rights|have no place (here|in)|no (\\w+ )?allowed";
const MEDS =
  'meds|medications?|medicines?|pills|antidepressants?|insulin|statins?|inhalers?|metformin|beta[- ]blockers?|antibiotics|chemo(therapy)?|treatment';
const ASSETS =
  'stocks?|shares|calls|puts|options|coins?|tokens?|crypto|bitcoin|btc|eth|ethereum|gold|silver|etfs?|index funds?|the dip|altcoins?|penny stocks?|my fund|savings|pension|401k|emergency fund|real estate|rental property';

const PATTERNS: readonly Pattern[] = [
  // illegal activities: offers and instructions
  {
    signal: 'illegal_activities',
    weight: STRONG,
    re: /\b(fake|counterfeit|forged|forge)\s+(ids?|id cards?|passports?|driv(er'?s|ing) licen[cs]es?|licen[cs]es?|diplomas?|degrees?|certificates?|documents|bills|banknotes|notes|money|currency|cash)\b/i,
  },
  { signal: 'illegal_activities', weight: STRONG, re: /\b(cc|card)\s+dumps?\b|\bcvvs?\b|\bfullz\b|\bcarding\b/i },
  {
    signal: 'illegal_activities',
    weight: STRONG,
    re: /\bghost\s+guns?\b|\b(untraceable|unregistered)\s+(guns?|firearms?|weapons?|rifles?|pistols?)\b|\bno\s+serial(\s+numbers?)?\b/i,
  },
  {
    signal: 'illegal_activities',
    weight: STRONG,
    re: new RegExp(`\\b(cook|cooking|make|making)\\s+(${DRUGS})\\b`, 'i'),
  },
  {
    signal: 'illegal_activities',
    weight: STRONG,
    re: new RegExp(
      `\\b(selling|sell|got|have|plug|supply|deliver\\w*|drop[- ]?off|dm (me )?for)\\b[^.!?\\n]{0,40}\\b(${DRUGS})\\b|\\b(${DRUGS})\\b[^.!?\\n]{0,40}\\b(for sale|delivered|same-day|drop[- ]?off|dm me)\\b`,
      'i',
    ),
  },
  {
    signal: 'illegal_activities',
    weight: STRONG,
    re: /\bmoney\s+mules?\b|\blaunder(ing)?\s+(money|cash|funds)\b|\b(money|cash)\s+laundering\b/i,
  },
  { signal: 'illegal_activities', weight: STRONG, re: /\bhot-?wir(e|ing)\b/i },
  {
    signal: 'illegal_activities',
    weight: STRONG,
    re: /\bstolen\s+(phones?|iphones?|cars?|laptops?|cards?|credit cards?|accounts?|goods|bikes?|passwords?)\b/i,
  },
  {
    signal: 'illegal_activities',
    weight: STRONG,
    re: /\bddos\b|\bbotnets?\b|\bransomware\b|\bphishing\s+kits?\b|\b(atm|card)\s+skimmers?\b|\bkeyloggers?\b|\bspyware\b/i,
  },
  {
    signal: 'illegal_activities',
    weight: STRONG,
    re: /\b(pirated|bootleg(ged)?|cam-?rip(ped)?|cracked)\s+(copy|copies|movies?|films?|software|games?|apps?|version|keys?)\b|\bwarez\b/i,
  },
  {
    signal: 'illegal_activities',
    weight: STRONG,
    re: /\b(send|give|dm)\s+me\s+(your|his|her|their|your mom'?s|your dad'?s)\s+(card numbers?|credit card|bank details|bank pin|pin|passwords?|login)\b/i,
  },
  { signal: 'illegal_activities', weight: STRONG, re: /\bdon'?t ask what'?s (inside|in it|in the box)\b/i },
  {
    signal: 'illegal_activities',
    weight: MEDIUM,
    re: /\bwithout\s+(a|the|their|his|her|your)?\s*(password|prescription|background checks?)\b|\bno\s+(questions asked|background checks?)\b/i,
  },
  {
    signal: 'illegal_activities',
    weight: MEDIUM,
    re: /\b(never|don'?t)\s+report\s+(it|your income|income)\b|\btax\s+evasion\b|\bhide\s+(your\s+)?income\b|\bsmuggl\w+\b|\bdox(x)?(ing)?\b|\bshoplift\w*\b/i,
  },
  // explicit content
  {
    signal: 'explicit_content',
    weight: STRONG,
    re: /\bnudes?\b|\bnsfw\b|\bonly\s?fans\b|\bsext(ing)?\b|\bhorny\b|\bxxx\b|\bsex\s+tapes?\b|\bcam\s?(girls?|boys?|shows?)\b|\bstrip\s?-?tease\b|\bescort\s+services?\b/i,
  },
  {
    signal: 'explicit_content',
    weight: WEAK,
    re: /\bnaked\b|\buncensored\b|\berotic\b|\bthreesomes?\b|\blingerie\b|\btopless\b|\bmoan(ing)?\b|\bnaughty\b|\bsteamy\b|\bkinky?\b|\bfetish\b|\bhook\s?up\b/i,
  },
  // hate: a group named together with dehumanising language or a call to exclude it
  {
    signal: 'hate_speech',
    weight: 0.75,
    re: new RegExp(
      `\\b(${GROUPS})\\b[\\s\\S]*\\b(${DEHUMANISING}|${EXCLUSION})\\b|\\b(${DEHUMANISING}|${EXCLUSION})\\b[\\s\\S]*\\b(${GROUPS})\\b`,
      'i',
    ),
  },
  // harassment: threats and insults aimed at the reader
  {
    signal: 'harassment',
    weight: 0.8,
    re: /\b(i'?m|i am|i will|i'll|we will|we'll|gonna|going to|about to)\s+(come\s+for|find|hunt( down)?|kill|hurt|beat|break|end|ruin|destroy|shoot|stab|smash)\s+(you|u|ya|your)\b/i,
  },
  {
    signal: 'harassment',
    weight: 0.8,
    re: /\bwatch\s+your\s+back\b|\bknow\s+where\s+you\s+(live|sleep|work)\b|\bsleep\s+with\s+one\s+eye\s+open\b|\byou('re| are)\s+(dead|finished)\b|\b(kill|hang)\s+yourself\b|\bkys\b|\bsee what happens\b|\byou('ll| will) (regret|pay for)\b|\bwhat happens to your\b/i,
  },
  {
    signal: 'harassment',
    weight: 0.85,
    re: /\bhope\s+(you|your\s+\w+)\b[^.!?]{0,30}\b(die|dies|burn|burns|rot|suffer|get hurt|gets hurt)\b/i,
  },
  {
    signal: 'harassment',
    weight: 0.7,
    re: /\b(you|you're|youre|ur|u r)\s+(are\s+)?(a |an |such a |so |the |just a )?([\w,]+\s+){0,3}(idiot|moron|loser|clown|failure|fraud|disgrace|pathetic|worthless|useless|hideous|ugly|stupid|dumb|dumbest|brainless|disgusting|irrelevant|nobody)\b|\bwaste of (space|oxygen|air)\b/i,
  },
  // misinformation: the rhetoric, never enough alone
  {
    signal: 'misinformation',
    weight: WEAK,
    re: /\b(doctors|they|the media|big pharma|the government|scientists)\s+(just\s+)?(don'?t|won'?t|do not|will not)\s+(want you to know|tell you|say it|admit it)\b|\bwake up,? sheeple\b|\bdo your own research\b|\bcover(ed|ing)? it up\b/i,
  },
  // the escalation rules
  {
    signal: 'financial_advice',
    weight: STRONG,
    re: /\bguaranteed\s+(returns?|profits?|gains?|income|yields?)\b|\brisk[- ]free\s+(returns?|profits?|investments?)\b|\bprice\s+target\b|\bbuy the dip\b|\bnot financial advice\b/i,
  },
  {
    signal: 'financial_advice',
    weight: 0.75,
    re: new RegExp(
      `\\b(buy|sell|short|load(ing)? up on|all in on|put (your|all your|everything)|move (your|all|everything)|invest (in|your|everything)|dollar-cost average into|pull your money out of)\\b[^.!?]{0,40}\\b(${ASSETS})\\b`,
      'i',
    ),
  },
  {
    signal: 'financial_advice',
    weight: 0.75,
    re: /\b(take out|get)\s+a\s+(loan|second mortgage|payday loan)\b|\bmax out (your )?credit cards?\b|\bcash out your (401k|pension)\b|\b\d{1,3}x\s+(by|in|before)\b/i,
  },
  { signal: 'financial_advice', weight: MEDIUM, re: /(^|\s)\$[A-Z]{2,5}\b/ },
  {
    signal: 'medical_information',
    weight: 0.85,
    re: /\b\d+(\.\d+)?\s?(mg|mcg|µg|ml|iu|milligrams?)\b[\s\S]{0,60}\b(a day|per day|daily|every|nightly|each night|twice|three times)\b|\b(take|taking|dose|dosage|start at)\b[^.!?]{0,30}\b\d+(\.\d+)?\s?(mg|mcg|µg|ml|iu|milligrams?)\b/i,
  },
  {
    signal: 'medical_information',
    weight: 0.85,
    re: new RegExp(
      `\\b(stop|stopping|quit|skip|skipping|ditch|come off|coming off|wean\\w*|taper|cold turkey|swap\\w*|instead of)\\b[^.!?]{0,40}\\b(${MEDS})\\b|\\b(${MEDS})\\b[^.!?]{0,30}\\b(cold turkey|no need to taper)\\b`,
      'i',
    ),
  },
  { signal: 'medical_information', weight: MEDIUM, re: /\b\d+(\.\d+)?\s?(mg|mcg|µg|iu|milligrams?)\b/i },
  {
    signal: 'legal_advice',
    weight: 0.8,
    re: /\b(you can|you could|you should|go)\s+(legally\s+)?sue\b|\bsue\s+(them|him|her|your|the)\b|\btake\s+(them|him|her)\s+to\s+court\b|\bfile\s+(a\s+)?(claim|lawsuit|complaint)\b|\bfile for bankruptcy\b|\bsmall\s+claims\b|\bwrongful\s+(termination|dismissal)\b|\bfair\s+use\b|\bplead\s+(not\s+)?guilty\b|\b(not|never)\s+(legally\s+)?(enforceable|binding)\b|\byou\s+can\s+legally\b|\blegally\s+(have to|required|entitled)\b|\bcease and desist\b/i,
  },
  {
    signal: 'legal_advice',
    weight: MEDIUM,
    re: /\b(without|get|talk to|ask for)\s+a\s+lawyer\b|\bdon'?t need a will\b|\bprobate\b|\bcustody order\b|\beviction order\b|\bthe law says\b/i,
  },
  {
    signal: 'political_content',
    weight: 0.8,
    re: /\bvote\s+(for|against|blue|red|them out|him out|her out|labour|tory|conservative|democrat|republican|green|yes on|no on)\b|\bre-?elect\b|\bpolls\s+open\b|\bregister\s+to\s+vote\b|\belection\s+day\b|\bearly\s+voting\b|\bget out the vote\b/i,
  },
  {
    signal: 'political_content',
    weight: MEDIUM,
    re: /\b(democrats?|republicans?|gop|tories|tory|labour|conservatives|liberals|left-wing|right-wing|maga)\b/i,
  },
];

export function patternHits(text: string): LexicalHit[] {
  const hits: LexicalHit[] = [];
  for (const p of PATTERNS) {
    const m = p.re.exec(text);
    if (m) hits.push({ term: m[0].trim().slice(0, 60), signal: p.signal, weight: p.weight });
  }
  return dedupe(hits);
}
