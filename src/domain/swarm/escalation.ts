// The spec's escalation categories (financial, medical, political, legal advice): content touching them goes to a
// human. Keyword rules for now; the moderation pipeline (issue 5) replaces them with classifiers.
export const ESCALATION_CATEGORIES = {
  financial_advice:
    /\b(invest(ing|ment)?s?|stocks?|shares|crypto|bitcoin|ethereum|returns?|price target|buy now|portfolio|financial advice)\b/i,
  medical_information:
    /\b(diagnos\w*|symptoms?|treatments?|medicines?|medication|vaccines?|dosage|cure[sd]?|therapy)\b/i,
  political_content:
    /\b(elections?|vot(e|ing|ers?)|democrats?|republicans?|candidates?|parliament|senator|political)\b/i,
  legal_advice: /\b(lawsuits?|legal advice|attorneys?|lawyers?|sue|court|liabilit(y|ies))\b/i,
} as const;

export type EscalationCategory = keyof typeof ESCALATION_CATEGORIES;

export function escalationCategories(...texts: string[]): EscalationCategory[] {
  const text = texts.join('\n');
  return (Object.keys(ESCALATION_CATEGORIES) as EscalationCategory[]).filter((c) =>
    ESCALATION_CATEGORIES[c].test(text),
  );
}
