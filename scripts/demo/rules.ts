// The demo runs the shipped rules/ from a temp copy with the on-call timings shortened, so that a group notification,
// a delayed SMS and an escalation all happen within a couple of minutes, and with Alice on call, so that the story
// is the same at any hour (the shipped rota would page Dave, e-mail only, in Berlin business hours and Bob, Slack
// only, in some weeks).
import { cp, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatDuration, parseDuration } from "../../src/core/duration.js";

/** Every on-call duration (group timings, escalation delays, notification rules) is divided by this. */
export const DEMO_TIME_SCALE = 10;
/** The policy schema refuses escalation delays under a minute (people need time to react); the demo keeps to it. */
const MIN_ESCALATION_DELAY_MS = 60_000;
/** How long the demo's override keeps Alice on call: longer than anyone watches a demo. */
const OVERRIDE_MS = 12 * 3_600_000;

/** Which fields hold on-call durations, by the folder of the file they are in. */
const TIMING_FIELDS: Readonly<Record<string, readonly string[]>> = {
  routes: ["groupWait", "groupInterval", "repeatInterval"],
  policies: ["delay", "ackTimeout"],
  users: ["after"],
};

export interface ShortenedTiming {
  file: string;
  field: string;
  from: string;
  to: string;
}

export interface DemoRules {
  dir: string;
  changes: ShortenedTiming[];
  /** What the story relies on, as shortened: the root route's groupWait and the ops policy's first delay. */
  groupWaitMs: number;
  escalationDelayMs: number;
  /** Slack ids, e-mail addresses and phone numbers of the rules' users, to say whom a message reached. */
  contacts: Map<string, string>;
}

export async function prepareDemoRules(sourceDir: string, nowMs: number): Promise<DemoRules> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-demo-rules-"));
  await cp(sourceDir, dir, { recursive: true });
  const changes: ShortenedTiming[] = [];
  for (const [folder, fields] of Object.entries(TIMING_FIELDS)) {
    for (const name of await jsonFiles(join(dir, folder))) {
      const file = join(folder, name);
      const json = JSON.parse(await readFile(join(dir, file), "utf8")) as unknown;
      shortenTimings(json, new Set(fields), file, changes);
      await writeFile(join(dir, file), `${JSON.stringify(json, null, 2)}\n`);
    }
  }
  await putAliceOnCall(join(dir, "schedules", "ops-primary.json"), nowMs);

  const routes = JSON.parse(await readFile(join(dir, "routes", "routes.json"), "utf8")) as { route: { groupWait?: string } };
  const policy = JSON.parse(await readFile(join(dir, "policies", "ops-default.json"), "utf8")) as { levels: Array<{ delay: string }> };
  const users = JSON.parse(await readFile(join(dir, "users", "users.json"), "utf8")) as { users: Array<{ id: string; contacts: Record<string, string> }> };
  const contacts = new Map<string, string>();
  for (const user of users.users) for (const address of Object.values(user.contacts)) contacts.set(address, user.id);
  return {
    dir,
    changes,
    groupWaitMs: parseDuration(routes.route.groupWait ?? "30s") ?? 0,
    escalationDelayMs: parseDuration(policy.levels[0]?.delay ?? "1m") ?? MIN_ESCALATION_DELAY_MS,
    contacts,
  };
}

/** A shipped duration as the demo runs it: divided by DEMO_TIME_SCALE, in whole seconds, within the schema's floors. */
export function shortenedDuration(text: string, field = ""): string {
  const ms = parseDuration(text);
  if (ms === undefined || ms === 0) return text;
  const floor = field === "delay" ? MIN_ESCALATION_DELAY_MS : 1_000;
  return formatDuration(Math.max(floor, Math.round(ms / DEMO_TIME_SCALE / 1_000) * 1_000));
}

/** Divides every duration field named in `fields`, wherever it is nested, and notes each change. */
function shortenTimings(node: unknown, fields: ReadonlySet<string>, file: string, changes: ShortenedTiming[]): void {
  if (Array.isArray(node)) {
    for (const item of node) shortenTimings(item, fields, file, changes);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    const ms = typeof value === "string" && fields.has(key) ? parseDuration(value) : undefined;
    if (ms === undefined || ms === 0) {
      shortenTimings(value, fields, file, changes);
      continue;
    }
    const shortened = shortenedDuration(value as string, key);
    if (shortened !== value) changes.push({ file, field: key, from: value as string, to: shortened });
    record[key] = shortened;
  }
}

async function putAliceOnCall(scheduleFile: string, nowMs: number): Promise<void> {
  const schedule = JSON.parse(await readFile(scheduleFile, "utf8")) as { overrides?: unknown[] };
  // The latest listed override wins, so this one is last.
  schedule.overrides = [
    ...(schedule.overrides ?? []),
    { user: "alice", start: new Date(nowMs - 60_000).toISOString(), end: new Date(nowMs + OVERRIDE_MS).toISOString(), reason: "the demo: Alice is on call, so the story is the same at any hour" },
  ];
  await writeFile(scheduleFile, `${JSON.stringify(schedule, null, 2)}\n`);
}

async function jsonFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
  } catch {
    return [];
  }
}
