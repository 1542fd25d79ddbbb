import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The on-call engineer of the chaos run: paged on every channel at once, so each alert means three deliveries. */
export const CHAOS_USER = { id: "oncall", slack: "U0CHAOS01", email: "oncall@example.com", phone: "+15005550006" };
export const CHANNELS = ["slack", "email", "sms"] as const;
/** The route's group_wait: how long after firing a page is due. */
export const GROUP_WAIT_MS = 1_000;

/**
 * A rules directory where every alert is its own group (grouped by source) and opens its own incident, whose first
 * level pages one person on three channels at once. Escalation to a second level is an hour away: every page of
 * the run is a first-level page, so the expected set is exactly alerts × channels.
 */
export async function chaosRulesDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-chaos-rules-"));
  const write = async (path: string, value: unknown): Promise<void> => {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), JSON.stringify(value, null, 2));
  };
  await write("alerts/chaos-hot.json", {
    id: "chaos-hot",
    version: 1,
    kind: "threshold",
    event: "metric",
    match: { all: [{ fact: "name", operator: "equal", value: "load" }] },
    keyBy: ["source"],
    when: { all: [{ fact: "value", operator: "greaterThan", value: 90 }] },
    severity: "critical",
    annotations: { summary: "{{ source }} load at {{ value }}" },
  });
  await write("routes/routes.json", {
    version: 1,
    route: { receiver: "chaos", groupBy: ["alertname", "source"], groupWait: `${GROUP_WAIT_MS}ms`, groupInterval: "5s", repeatInterval: "4h" },
    receivers: [{ name: "chaos", policy: "chaos" }],
  });
  await write("policies/chaos.json", { id: "chaos", version: 1, levels: [{ targets: [{ user: CHAOS_USER.id }], delay: "1h" }], repeat: 0 });
  await write("users/users.json", {
    version: 1,
    users: [
      {
        id: CHAOS_USER.id,
        name: "Chaos On-Call",
        timeZone: "UTC",
        contacts: { slack: CHAOS_USER.slack, email: CHAOS_USER.email, phone: CHAOS_USER.phone },
        notificationRules: CHANNELS.map((channel) => ({ channel, after: "0m" })),
      },
    ],
  });
  return dir;
}
