/**
 * `npm run demo`: starts a private nats-server (or uses KLAXON_NATS_URL), runs the engine on rules/, publishes a few
 * events and prints the alerts and dead letters as they come out. Notification channels arrive with later issues;
 * this shows the evaluation pipeline end to end on real JetStream.
 */
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Engine } from "../src/app/engine.js";
import { parseConfig } from "../src/config/index.js";
import { createLogger } from "../src/core/logger.js";
import { NatsServerProcess } from "../test/support/nats-server.js";

const say = (line: string): void => console.log(line);
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  let server: NatsServerProcess | undefined;
  let url = process.env.KLAXON_NATS_URL;
  if (!url) {
    server = await NatsServerProcess.start();
    url = server.url;
    say(`started a private nats-server with JetStream at ${url} (store ${server.storeDir})`);
  }
  // The shipped routing waits 30 s before a group's first notification; the demo shortens that to 2 s.
  const rulesDir = await mkdtemp(join(tmpdir(), "klaxon-demo-rules-"));
  await cp("rules", rulesDir, { recursive: true });
  const routesFile = join(rulesDir, "routes", "routes.json");
  await writeFile(routesFile, (await readFile(routesFile, "utf8")).replace('"groupWait": "30s"', '"groupWait": "2s"'));
  const config = parseConfig({ nats: { servers: [url] }, rulesDir, tickIntervalMs: 250, logLevel: "warn", watchRules: false, consumer: { durable: `demo-${Date.now()}` } });
  const engine = new Engine({ config, logger: createLogger({ level: "error" }), actor: "demo" });
  await engine.start();
  say(`engine running with ${engine.status().rules} rules from rules/\n`);

  const nc = await connect({ servers: url });
  const js = jetstream(nc);
  const alerts = nc.subscribe("klaxon.alerts.>");
  const letters = nc.subscribe("klaxon.deadletter.>");
  const notifications = nc.subscribe("klaxon.notifications.>");
  const pages = nc.subscribe("klaxon.pages.>");
  void (async () => {
    for await (const m of pages) {
      const p = m.json<{ user: string; channel: string; address: string; title: string; level: number }>();
      say(`  PAGE     ${p.user} via ${p.channel} (${p.address}), level ${p.level + 1}: ${p.title}`);
    }
  })();
  void (async () => {
    for await (const m of notifications) {
      const n = m.json<{ receiver: string; reason: string; firing: Array<{ labels: Record<string, string> }>; resolved: unknown[] }>();
      say(`  NOTIFY   ${n.receiver} (${n.reason}): ${n.firing.length} firing [${n.firing.map((a) => a.labels.alertname).join(", ")}], ${n.resolved.length} resolved`);
    }
  })();
  void (async () => {
    for await (const m of alerts) {
      const a = m.json<{ status: string; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt?: string }>();
      const mark = a.status === "firing" ? "FIRING  " : "RESOLVED";
      say(`  ${mark} ${a.labels.alertname} [${a.labels.severity}] ${a.annotations.summary ?? ""}  (${a.status === "firing" ? `since ${a.startsAt}` : `ended ${a.endsAt}`})`);
    }
  })();
  void (async () => {
    for await (const m of letters) say(`  DEAD LETTER ${m.headers?.get("Klaxon-Reason")}: ${m.headers?.get("Klaxon-Detail")}`);
  })();

  const publish = async (event: Record<string, unknown>): Promise<void> => {
    await js.publish(`events.${String(event.type)}.${String(event.source)}`, JSON.stringify({ time: new Date().toISOString(), ...event }));
  };

  say("1. web-1 reports its /var filesystem 95% full:");
  await publish({ type: "metric", source: "web-1", name: "disk_used_percent", value: 95, labels: { mount: "/var" } });
  await pause(800);
  say("2. orders logs a burst of upstream timeouts:");
  for (let i = 0; i < 11; i++) await publish({ type: "log", source: "pod-7", service: "orders", level: "error", message: `upstream timeout after ${3000 + i} ms` });
  await pause(800);
  say("   ...group_wait (2 s in the demo) batches them into notifications; the receiver's escalation policy pages whoever");
  say("   rules/schedules/ops-primary.json has on call now, through their notification rules in rules/users/users.json:");
  await pause(2500);
  say("3. someone cleans up /var:");
  await publish({ type: "metric", source: "web-1", name: "disk_used_percent", value: 41, labels: { mount: "/var" } });
  await pause(800);
  say("4. a producer sends a malformed event (it is parked, not lost, and nothing stops):");
  await js.publish("events.metric.web-1", '{"type":"metric","source":"web-1","name":"cpu","value":"very high"}');
  await pause(800);

  say("\nDone. Alerts are on KLAXON_ALERTS, notifications on KLAXON_NOTIFICATIONS, pages on KLAXON_PAGES, dead letters on");
  say("KLAXON_DEADLETTER, and every step on KLAXON_AUDIT. Acknowledge an incident with `klaxon ack <id>` to stop the paging.");
  await nc.close();
  await engine.stop();
  await server?.stop();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
