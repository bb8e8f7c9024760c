/**
 * Custom search attributes, registered on the dev server by infra/dev and kept current by the
 * workflows, so that operators can find e.g. every grokking paper that scored ≥ 6. The SQLite
 * dev server allows at most 10 Keyword and 3 of each other type.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  kind: defineSearchAttributeKey('ScientistKind', SearchAttributeType.KEYWORD),
  template: defineSearchAttributeKey('ScientistTemplate', SearchAttributeType.KEYWORD),
  campaign: defineSearchAttributeKey('ScientistCampaign', SearchAttributeType.KEYWORD),
  models: defineSearchAttributeKey('ScientistModels', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('ScientistStage', SearchAttributeType.KEYWORD),
  decision: defineSearchAttributeKey('ScientistDecision', SearchAttributeType.KEYWORD),
  /** The integrity stage's verdict: `clean` or `unsupported-claims`. */
  integrity: defineSearchAttributeKey('ScientistIntegrity', SearchAttributeType.KEYWORD),
  score: defineSearchAttributeKey('ScientistScore', SearchAttributeType.DOUBLE),
  costUsd: defineSearchAttributeKey('ScientistCostUsd', SearchAttributeType.DOUBLE),
} as const;

/** Name → CLI type, for `temporal operator search-attribute create`. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'Double'> = Object.fromEntries(
  Object.values(SA).map((k) => [k.name, k.type === SearchAttributeType.DOUBLE ? 'Double' : 'Keyword']),
);
