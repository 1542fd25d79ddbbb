// Puts the demo together: NATS, the stand-ins, the engine with its HTTP API and console (plus the outbox route), the
// narration of what the pipeline does, and the story. Everything started here is stopped by `stop()`, in reverse.
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Engine } from "../../src/app/engine.js";
import { parseConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/core/logger.js";
import { provideNats } from "./nats.js";
import { Narrator } from "./narrator.js";
import { Outbox, outboxRoute } from "./outbox.js";
import { DEMO_TIME_SCALE, prepareDemoRules, shortenedDuration, type ShortenedTiming } from "./rules.js";
import { secretsFolder, startStandIns, type StandIns } from "./stand-ins.js";
import { Story } from "./story.js";
import { watchPipeline } from "./watch.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** How often the outbox looks at the stand-ins: DELIVERED lines appear within this of the arrival. */
const OUTBOX_POLL_MS = 100;
/** A graceful engine stop waits for NATS; after Ctrl-C the private server may already be gone. */
const STOP_GRACE_MS = 5_000;
/** The API token's actor: the console asks for the Outbox only when signed in as this (views/outbox.js says why). */
const DEMO_ACTOR = "demo";

export interface DemoOptions {
  /** Stop after the scripted story (tests); otherwise keep running until `stop()`. */
  once: boolean;
  /** The console's port; taken by something else → any free port. 0 = any free port. */
  httpPort: number;
  print: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface RunningDemo {
  consoleUrl: string;
  outboxUrl: string;
  /** This run's throw-away API token (actor "demo"). */
  token: string;
  standIns: StandIns;
  outbox: Outbox;
  engine: Engine;
  /** Resolves once the scripted story has played; rejects with a StoryStalledError naming the step that stalled. */
  story: Promise<void>;
  stop(): Promise<void>;
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    return await start(options, cleanups, stopAll);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function start(options: DemoOptions, cleanups: Array<() => Promise<unknown>>, stopAll: () => Promise<void>): Promise<RunningDemo> {
  const { print } = options;
  const nats = await provideNats(options.env);
  cleanups.push(() => nats.stop());
  const startMs = Date.now();
  const rules = await prepareDemoRules(join(REPO, "rules"), startMs);
  cleanups.push(() => rm(rules.dir, { recursive: true, force: true }));
  const secrets = await secretsFolder();
  cleanups.push(() => rm(secrets, { recursive: true, force: true }));
  const token = randomBytes(24).toString("base64url");
  const tokensFile = join(secrets, "api-tokens");
  await writeFile(tokensFile, `${DEMO_ACTOR} ${token}\n`, { mode: 0o600 });
  const standIns = await startStandIns(secrets, join(REPO, "templates"));
  cleanups.push(() => standIns.close());
  const outbox = new Outbox(standIns, rules.contacts);

  const config = parseConfig({
    nats: { servers: [nats.url] },
    rulesDir: rules.dir,
    tickIntervalMs: 250,
    logLevel: "error",
    watchRules: false,
    http: { port: await portOrAnyFree(options.httpPort), tokensFile },
    notify: standIns.notifyConfig,
  });
  const engine = new Engine({ config, logger: createLogger({ level: "error" }), actor: "demo", extraRoutes: [outboxRoute(outbox)] });
  cleanups.push(() => stopWithin(engine, STOP_GRACE_MS));
  await engine.start();
  const base = `http://127.0.0.1:${engine.httpPort}`;
  const consoleUrl = `${base}/console/`;
  const outboxUrl = `${consoleUrl}#/outbox`;

  print("Klaxon demo: the shipped rules/ on NATS JetStream, paging through local stand-ins for Slack, e-mail and SMS.");
  print("");
  print(`  NATS       ${nats.description}`);
  print(`  rules      ${engine.status().rules} rules with routes, schedules and policies from rules/, run from a temp copy:`);
  print(`             on-call timings ÷${DEMO_TIME_SCALE} (${timingSummary(rules.changes)}),`);
  print("             and Alice on call in ops-primary (an override), so the story is the same at any hour");
  print(`  stand-ins  ${standIns.describe()}`);
  print("");
  print(`  Console    ${consoleUrl}`);
  print(`  Token      ${token}   (this run's throw-away API token: paste it to sign in)`);
  print(`  Outbox     ${outboxUrl}   what the stand-ins received (API: GET ${base}/api/v1/outbox)`);
  print("");

  // Times in the narration count from the first beat of the story.
  const narrator = new Narrator(print, Date.now());
  cleanups.push(async () => narrator.close());
  const nc = await connect({ servers: nats.url, name: "klaxon-demo" });
  cleanups.push(() => nc.close());
  const js = jetstream(nc);
  const unwatch = watchPipeline(nc, config.subjects, (moment) => narrator.record(moment));
  cleanups.push(async () => unwatch());
  outbox.onEntry((entry) => narrator.record({ kind: "delivered", entry }));
  const poll = setInterval(() => outbox.collect(), OUTBOX_POLL_MS);
  cleanups.push(async () => clearInterval(poll));

  const story = new Story({
    narrator,
    publish: async (event) => {
      await js.publish(`${config.subjects.events}.${String(event.type)}.${String(event.source)}`, JSON.stringify({ time: new Date().toISOString(), ...event }));
    },
    publishRaw: async (subject, body) => {
      await js.publish(subject, body);
    },
    groupWaitMs: rules.groupWaitMs,
    escalationDelayMs: rules.escalationDelayMs,
    shortened: (duration) => shortenedDuration(duration),
  });
  cleanups.push(async () => story.stop());
  const played = story.play().then(() => {
    if (options.once) {
      print("\nThe story is complete (--once): stopping.");
      return;
    }
    print("");
    print("The story is told; Klaxon keeps running and the orders incident keeps paging. Now:");
    print(`  - open ${outboxUrl} (sign in with the token above) to read what was sent, and`);
    print("    Alerts to see who was paged; Acknowledge the orders incident there to stop the paging;");
    print(`  - or from another terminal: npx tsx src/cli/main.ts incidents --nats ${nats.url}`);
    print(`    then: npx tsx src/cli/main.ts ack <incident id> --nats ${nats.url}`);
    print("Ctrl-C stops everything.");
    void story.untilAcknowledged();
  });
  return { consoleUrl, outboxUrl, token, standIns, outbox, engine, story: played, stop: stopAll };
}

/** One line of what the demo shortened: each kind of timing once, as it appears first. */
function timingSummary(changes: readonly ShortenedTiming[]): string {
  const firstPerField = new Map<string, ShortenedTiming>();
  for (const change of changes) if (!firstPerField.has(change.field)) firstPerField.set(change.field, change);
  return [...firstPerField.values()].map((c) => `${c.field} ${c.from}→${c.to}`).join(", ");
}

/** The port asked for when it is free; otherwise 0, which lets the engine take any free port. */
function portOrAnyFree(port: number): Promise<number> {
  if (port === 0) return Promise.resolve(0);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(0));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(port)));
  });
}

async function stopWithin(engine: Engine, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), graceMs);
  });
  const outcome = await Promise.race([engine.stop().then(() => "stopped" as const), gaveUp]);
  clearTimeout(timer);
  if (outcome === "late") await engine.crash();
}
