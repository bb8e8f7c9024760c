/**
 * A workflow's artifacts for `scientist get` and `scientist logs`: their labels and store keys
 * (from the `artifacts` query, else from a listing of the store), and which label is a run's log.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import { artifactsQuery } from '../contracts';
import { describe, scientistAttributes } from './find-workflows';
import { hasWorker, queryWithDeadline } from './messages';

/** `artifacts` labels → keys; from the query, else from a listing of the paper's store prefix. */
export async function artifactKeys(
  client: Client,
  config: Config,
  id: string,
  list: (prefix: string) => Promise<{ key: string }[]>,
): Promise<{ keys: Record<string, string>; source: 'query' | 'store'; note?: string }> {
  const desc = await describe(client, id);
  let note: string | undefined;
  if (await hasWorker(client, config, desc.taskQueue)) {
    const q = await queryWithDeadline(client, id, artifactsQuery);
    if (q.value) return { keys: q.value.keys, source: 'query' };
    note = q.why;
  } else {
    note = `no worker is polling task queue ${desc.taskQueue}`;
  }
  const kind = scientistAttributes(desc).kind ?? (id.startsWith('campaign-') ? 'campaign' : 'paper');
  const prefix = `${kind === 'campaign' ? 'campaigns' : 'papers'}/${id}/`;
  const keys: Record<string, string> = {};
  for (const o of await list(prefix)) keys[o.key.slice(prefix.length)] = o.key;
  return { keys, source: 'store', note: `${note}; listed the store under ${prefix} instead` };
}

/**
 * The label of a run's log: `3`, `run_3` → the log of run 3; a label with a slash is taken as
 * is; nothing → the latest run's log.
 */
export function pickLogLabel(keys: Record<string, string>, run?: string): string | undefined {
  const labels = Object.keys(keys);
  if (run?.includes('/')) return labels.includes(run) ? run : undefined;
  const runLogs = labels
    .map((label) => ({ label, n: /(?:^|\/)run_(\d+)(?:\/|$)/.exec(label)?.[1] }))
    .filter((x): x is { label: string; n: string } => x.n !== undefined && /log/.test(x.label))
    // Several attempts of one run (store listing): the last attempt's log wins.
    .sort((a, b) => Number(a.n) - Number(b.n) || a.label.localeCompare(b.label, 'en', { numeric: true }));
  if (run === undefined) return runLogs.at(-1)?.label;
  const n = /^(?:run_)?(\d+)$/.exec(run)?.[1];
  if (n === undefined) return undefined;
  return runLogs.filter((x) => Number(x.n) === Number(n)).at(-1)?.label;
}
