// Building blocks of the on-call setups the integration tests write into a rules directory: the `db-down` rule
// (`db_up == 0` fires per source), the two-level database escalation policy, and the people it pages. Tests that
// need a variant spread the fixture and override the one field that differs.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const dbDownRule = {
  id: "db-down",
  version: 1,
  kind: "threshold",
  event: "metric",
  match: { all: [{ fact: "name", operator: "equal", value: "db_up" }] },
  keyBy: ["source"],
  when: { all: [{ fact: "value", operator: "equal", value: 0 }] },
  severity: "critical",
  annotations: { summary: "{{ source }} is down" },
};

/** `db-policy`: whoever is on call for `db-primary` first, then Bob, five minutes apart. */
export const dbPolicy = {
  id: "db-policy",
  version: 1,
  levels: [
    { targets: [{ schedule: "db-primary" }], delay: "5m" },
    { targets: [{ user: "bob" }], delay: "5m" },
  ],
};

/** Alice: Slack at once, SMS two minutes later. */
export const alice = { id: "alice", name: "Alice", timeZone: "Europe/Berlin", contacts: { slack: "U0ALICE", phone: "+4915112345678" }, notificationRules: [{ channel: "slack", after: "0m" }, { channel: "sms", after: "2m" }] };

/** Bob: Slack only. */
export const bob = { id: "bob", name: "Bob", timeZone: "Europe/Berlin", contacts: { slack: "U0BOB" }, notificationRules: [{ channel: "slack", after: "0m" }] };

/** Write `value` as JSON to `path` inside the rules directory `dir`, creating folders on the way. */
export async function writeJson(dir: string, path: string, value: unknown): Promise<void> {
  await mkdir(join(dir, path, ".."), { recursive: true });
  await writeFile(join(dir, path), JSON.stringify(value, null, 2));
}
