/**
 * The audit of what a paper left in the store: its keys, its LLM transcripts (with the tag of the
 * reply each recorded), its drafts and every version of each workspace file, so that a step that
 * ran twice, or spend counted twice, shows.
 */
import type { Transcript } from '../../activities/llm/recorded';
import type { S3ArtifactStore } from '../../lib/store';
import { tagOf } from './pipeline-llm-script';

export interface PaperAudit {
  /** Every key under papers/<paperId>/, relative to it. */
  paperKeys: string[];
  /** LLM transcripts of the paper (key relative to papers/<paperId>/ → what they record). */
  transcripts: {
    key: string;
    costUsd: number;
    inputTokens: number;
    outputTokens: number;
    text: string;
    /** The tag of the reply it recorded (`r<n>`: the n-th request the fake LLM answered). */
    tag?: string;
    /** Attempts of this step cut off mid-reply, estimated by the retry that recorded it. */
    interrupted?: Transcript['interrupted'];
  }[];
  /** Distinct versions of each workspace file across every workspace snapshot of the suite. */
  fileVersions: Record<string, string[]>;
  /** Text of each draft version, by key relative to papers/<paperId>/. */
  drafts: Record<string, string>;
}

/**
 * Reads back what a paper left in the store. Content-addressed workspace snapshots make a step
 * that ran twice visible: every reply is unique (its tag), so a second edit, notes or figure
 * description would be a second version of that file.
 */
export async function auditPaper(store: S3ArtifactStore, paperId: string): Promise<PaperAudit> {
  const root = `papers/${paperId}/`;
  const paperKeys = (await store.list(root)).map((o) => o.key.slice(root.length)).sort();
  const transcripts: PaperAudit['transcripts'] = [];
  const drafts: Record<string, string> = {};
  for (const key of paperKeys.filter((k) => k.endsWith('.json'))) {
    const doc = await store.getJson<Record<string, unknown>>(root + key);
    if (typeof doc.requestHash === 'string') {
      const t = doc as unknown as Transcript;
      transcripts.push({
        key,
        costUsd: t.response.costUsd,
        inputTokens: t.response.usage.inputTokens,
        outputTokens: t.response.usage.outputTokens,
        text: t.response.text,
        tag: tagOf(t.response.text),
        interrupted: t.interrupted,
      });
    } else if (key.startsWith('writeup/') && 'sections' in doc) {
      drafts[key] = JSON.stringify(doc);
    }
  }
  const fileVersions: Record<string, Set<string>> = {};
  for (const m of await store.list('cas/workspace/')) {
    const manifest = await store.getJson<{ files: Record<string, string> }>(m.key);
    for (const [rel, blob] of Object.entries(manifest.files)) (fileVersions[rel] ??= new Set()).add(blob);
  }
  return {
    paperKeys,
    transcripts,
    drafts,
    fileVersions: Object.fromEntries(Object.entries(fileVersions).map(([k, v]) => [k, [...v]])),
  };
}

/** Sum of the transcripts' own replies (interrupted attempts not included): each counted once. */
export function transcriptSpend(a: PaperAudit): {
  calls: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
} {
  return {
    calls: a.transcripts.length,
    costUsd: a.transcripts.reduce((s, t) => s + t.costUsd, 0),
    inputTokens: a.transcripts.reduce((s, t) => s + t.inputTokens, 0),
    outputTokens: a.transcripts.reduce((s, t) => s + t.outputTokens, 0),
  };
}

/** The text of a file version (a cas/file key). */
export async function blobText(store: S3ArtifactStore, key: string): Promise<string> {
  return store.getText(key);
}
