/**
 * Prepares a Temporal namespace for durable-scientist: our search attributes registered and a
 * retention long enough to inspect finished papers. Idempotent; used by the dev services on
 * every start and by `scientist init-namespace` against a production cluster.
 */
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { Config } from './config';
import { SEARCH_ATTRIBUTE_TYPES } from '../contracts';
import { connectClient } from './temporal';

const INDEXED_TYPE = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Double: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
} as const;

/** Registers missing search attributes and sets retention; returns the names it added. */
export async function ensureNamespace(config: Config): Promise<string[]> {
  const client = await connectClient(config);
  try {
    const namespace = config.temporal.namespace;
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.entries(SEARCH_ATTRIBUTE_TYPES).filter(
      ([name]) => !(name in (customAttributes ?? {})),
    );
    if (missing.length > 0) {
      await client.connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPE[type]])),
      });
    }
    await client.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msToTs(config.temporal.retentionDays * 86_400_000) },
    });
    return missing.map(([name]) => name);
  } finally {
    await client.connection.close();
  }
}
