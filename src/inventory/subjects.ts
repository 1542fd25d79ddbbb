/**
 * Where state reports and change records are stored. Producers publish on `<events>.state.<source>` and
 * `<events>.change.<source>`; with several evaluation partitions the server maps every `<events>.*.*` subject to
 * `<events>.part.<n>.<type>.<source>` before storing it, so the inventory stage's filters must match either form.
 */
export function inventoryFilters(eventsPrefix: string, partitions: number): { state: string; change: string } {
  const base = partitions === 1 ? eventsPrefix : `${eventsPrefix}.part.*`;
  return { state: `${base}.state.>`, change: `${base}.change.>` };
}

/** The prefix a stored subject's envelope is checked against: `events`, or `events.part.3` when partitioned. */
export function storedPrefixOf(subject: string, eventsPrefix: string, partitions: number): string {
  if (partitions === 1) return eventsPrefix;
  const partition = subject.slice(eventsPrefix.length + 1).split(".", 2);
  return partition[0] === "part" && partition[1] !== undefined ? `${eventsPrefix}.part.${partition[1]}` : eventsPrefix;
}
