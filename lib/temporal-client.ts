/**
 * The client half of ./temporal.ts, without the worker package (its native module takes seconds
 * to load): what the operator commands need to start quickly.
 */
import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';

/** Address, TLS and API key: the same for clients and workers. */
export function connectionOptions(config: Config) {
  return {
    address: config.temporal.address,
    tls: config.temporal.tls ? {} : undefined,
    apiKey: config.temporal.apiKey,
  };
}

/** A client for starting and talking to workflows. Close `client.connection` when done. */
export async function connectClient(
  config: Config,
  options: { connectTimeoutMs?: number } = {},
): Promise<Client> {
  const connection = await Connection.connect({
    ...connectionOptions(config),
    connectTimeout: options.connectTimeoutMs ?? 5000,
  });
  return new Client({ connection, namespace: config.temporal.namespace });
}

/** The Web UI page of a workflow. */
export function workflowUiUrl(config: Config, workflowId: string, runId?: string): string {
  const base = `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
