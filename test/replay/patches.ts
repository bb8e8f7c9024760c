/** What the replay suite reads from a recorded history (the CLI's JSON format). */

/** The patch ids of a history's `core_patch` markers (their payloads are base64 JSON). */
export function patchIds(historyJson: string): string[] {
  type Marker = { markerName?: string; details?: Record<string, { payloads?: { data?: string }[] }> };
  const events = (JSON.parse(historyJson) as { events: { markerRecordedEventAttributes?: Marker }[] }).events;
  return events.flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') return [];
    const data = m.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id] : [];
  });
}

/**
 * The patch markers each patched history must hold: what it was recorded to prove. The recorder
 * checks a new recording against its entry before writing it; the replay suite checks the files.
 */
export const HISTORY_MARKERS = {
  'campaign-patched.json': ['campaign-template-preflight', 'campaign-gpu-routing', 'campaign-run-undecided'],
  'paper-patched.json': ['paper-integrity', 'review-threshold-recorded'],
  'campaign-patched-2.json': [
    'campaign-template-preflight',
    'campaign-gpu-routing',
    'campaign-run-undecided',
  ],
  'paper-patched-2.json': [
    'paper-no-prepare-workspace',
    'paper-seeds',
    'template-plots-fallback',
    'figure-critique',
    'paper-degradations',
    'paper-integrity',
    'integrity-citations',
    'integrity-fix-degrades',
    'review-threshold-recorded',
  ],
} as const satisfies Record<string, readonly string[]>;
