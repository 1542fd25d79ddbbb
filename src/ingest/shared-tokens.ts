import { InternPool } from "../core/intern-pool.js";

/**
 * One copy of each recurring event token (source, service, metric name). JSON.parse gives every string longer than
 * 10 characters a copy of its own, and a series keeps its latest event for as long as it lives: in a storm of
 * 100,000 alerts of one metric, its name and the services took 6 MB of copies. Sharing changes no value, only how
 * many copies are held, so one pool serves every partition.
 */
const tokens = new InternPool<string>(10_000);

export function sharedToken(token: string): string {
  return tokens.intern(token, token);
}
