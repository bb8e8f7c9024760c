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
