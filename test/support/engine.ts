import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { after, before } from "node:test";
import { Engine } from "../../src/app/engine.js";
import { NatsServerProcess } from "./nats-server.js";
import { parseConfig, type Config, type ConfigInput } from "../../src/config/index.js";
import { silentLogger } from "../../src/core/logger.js";
import type { Clock } from "../../src/core/clock.js";
import { SCAN_PULL } from "../../src/store/jetstream/pull-options.js";

/** A rules directory in a temp folder holding the given rules (one file each). */
export async function rulesDir(rules: ReadonlyArray<Record<string, unknown>>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-rules-"));
  await mkdir(join(dir, "alerts"));
  for (const rule of rules) await writeFile(join(dir, "alerts", `${String(rule.id)}.json`), JSON.stringify(rule, null, 2));
  return dir;
}

/** Config for tests: fast ticks and snapshots, no file watching, silent. */
export function testConfig(url: string, dir: string, overrides: ConfigInput = {}): Config {
  return parseConfig({
    nats: { servers: [url] },
    rulesDir: dir,
    tickIntervalMs: 50,
    lateEventToleranceMs: 0,
    watchRules: false,
    logLevel: "silent",
    ...overrides,
    state: { snapshotIntervalMs: 60_000, ...overrides.state },
  });
}

const running = new Set<Engine>();

export async function startEngine(config: Config, clock?: Clock): Promise<Engine> {
  const engine = new Engine({ config, logger: silentLogger, actor: "test", ...(clock ? { clock } : {}) });
  running.add(engine);
  await engine.start();
  return engine;
}

/**
 * Crash every engine a test started and left running: a failed assertion must not leave an engine reconnecting
 * forever and the test process hanging. Call it in `after`.
 */
export async function stopAllEngines(): Promise<void> {
  await Promise.all([...running].map((engine) => engine.crash().catch(() => undefined)));
  running.clear();
}

export interface StoredMessage {
  subject: string;
  seq: number;
  data: Uint8Array;
  headers: Record<string, string>;
  /** When the server stored it. */
  storedAtMs: number;
  json<T = Record<string, unknown>>(): T;
}

/** Reads every message of a stream from the start, as a test client would. */
export async function readStream(js: JetStreamClient, stream: string, filter?: string): Promise<StoredMessage[]> {
  const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.All, ...(filter ? { filter_subjects: filter } : {}) });
  const out: StoredMessage[] = [];
  const info = await consumer.info(true);
  if (info.num_pending === 0) return out;
  const messages = await consumer.consume({ max_messages: 1_000, ...SCAN_PULL });
  for await (const m of messages) {
    const headers: Record<string, string> = {};
    if (m.headers) for (const [key] of m.headers) headers[key] = m.headers.get(key);
    out.push({ subject: m.subject, seq: m.seq, data: m.data, headers, storedAtMs: Math.round(m.info.timestampNanos / 1e6), json: <T>() => JSON.parse(new TextDecoder().decode(m.data)) as T });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

/** Poll until `check` returns a value (not undefined), or fail with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function client(url: string): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
  const nc = await connect({ servers: url });
  return { nc, js: jetstream(nc) };
}

export function metricEvent(source: string, name: string, value: number, timeMs: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "metric", source, name, value, time: new Date(timeMs).toISOString(), ...extra };
}

export function logEvent(source: string, level: string, message: string, timeMs: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "log", source, level, message, time: new Date(timeMs).toISOString(), ...extra };
}

export async function publishEvent(js: JetStreamClient, event: Record<string, unknown>): Promise<number> {
  const ack = await js.publish(`events.${String(event.type)}.${String(event.source)}`, JSON.stringify(event));
  return ack.seq;
}

/**
 * A private nats-server for the enclosing `describe`: started before its tests, stopped after them (and every engine
 * they left running crashed first). Read `.current` inside tests.
 */
export function useNatsServer(): { current: NatsServerProcess } {
  const holder = {} as { current: NatsServerProcess };
  before(async () => {
    holder.current = await NatsServerProcess.start();
  });
  after(async () => {
    await stopAllEngines();
    await holder.current.stop();
  });
  return holder;
}

/** A private nats-server (as `useNatsServer`) plus one test client connected to it; read the fields inside tests. */
export interface NatsWithClient {
  current: NatsServerProcess;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** `useNatsServer` and a client for the enclosing `describe`; the client is closed after its tests. */
export function useNatsWithClient(): NatsWithClient {
  const server = useNatsServer();
  const holder = {} as NatsWithClient;
  before(async () => {
    holder.current = server.current;
    ({ nc: holder.nc, js: holder.js } = await client(server.current.url));
    holder.jsm = await jetstreamManager(holder.nc);
  });
  after(async () => {
    await holder.nc.close();
  });
  return holder;
}

/** Every message of a stream, parsed as JSON. */
export async function streamJson<T>(js: JetStreamClient, stream: string): Promise<T[]> {
  return (await readStream(js, stream)).map((m) => m.json<T>());
}
