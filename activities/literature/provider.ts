import type { Config } from '../../lib/config';
import type { RetryPolicy } from './http';
import type { ProviderName, ProviderResult } from './types';

export interface SearchRequest {
  query: string;
  /** Papers wanted, 1–100. */
  limit: number;
  signal?: AbortSignal;
  onAttempt?: (attempt: number) => void;
}

/** One literature API behind the common shape; one short file per provider. */
export interface LiteratureProvider {
  name: ProviderName;
  search(req: SearchRequest): Promise<ProviderResult>;
}

export function retryPolicy(lit: Config['literature']): RetryPolicy {
  return {
    maxAttempts: lit.maxAttempts,
    backoffMs: lit.backoffMs,
    maxWaitMs: lit.maxWaitMs,
    requestTimeoutMs: lit.requestTimeoutMs,
  };
}
