// Helpers for the operations tests: engines whose log output is captured, tokens, HTTP calls, /metrics values.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after } from "node:test";
import { Engine } from "../../src/app/engine.js";
import type { Config } from "../../src/config/index.js";
import type { Clock } from "../../src/core/clock.js";
import { createLogger, type Logger } from "../../src/core/logger.js";
import type { JetStreamClient } from "@nats-io/jetstream";
import { auditRecords as storedAuditRecords } from "../support/audit-records.js";

export const TOKEN = "ops-test-token-0123456789";
export const ACTOR = "alice";

/** A tokens file giving alice a token, as an operator would write it. */
export async function tokensFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-tokens-"));
  const file = join(dir, "tokens");
  await writeFile(file, `# who may change things\n${ACTOR} ${TOKEN}\n`);
  return file;
}

export interface LogLine {
  level: number;
  module?: string;
  msg?: string;
  [key: string]: unknown;
}

/** A real pino logger writing JSON lines into memory, as it would to stderr. */
export function captureLog(level: "info" | "debug" = "info"): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

export const DEBUG = 20;

const running = new Set<Engine>();

/** Engines started here are crashed after the file's tests, so a failed assertion cannot leave one running. */
after(async () => {
  await Promise.all([...running].map((engine) => engine.crash().catch(() => undefined)));
  running.clear();
});

/** An engine with its log captured; `start` is left to the caller when `start: false` (to watch it starting). */
export function newEngine(config: Config, options: { clock?: Clock; logger?: Logger } = {}): Engine {
  const engine = new Engine({ config, logger: options.logger ?? createLogger({ level: "silent" }), actor: "ops-test", ...(options.clock ? { clock: options.clock } : {}) });
  running.add(engine);
  return engine;
}

export async function startedEngine(config: Config, options: { clock?: Clock; logger?: Logger } = {}): Promise<Engine> {
  const engine = newEngine(config, options);
  await engine.start();
  return engine;
}

/** One HTTP request as a client would send it; the body parsed as JSON when it is JSON. */
export async function http(
  port: number,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(options.body === undefined ? {} : { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (/metrics)
  }
  return { status: response.status, body, text };
}

/** The value of one sample in Prometheus text, e.g. `klaxon_redeliveries_total` or `klaxon_alerts{state="firing"}`. */
export function sample(metricsText: string, series: string): number | undefined {
  for (const line of metricsText.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

export interface AuditRecord {
  action: string;
  actor: string;
  subject?: string;
  details: Record<string, unknown>;
}

export async function auditRecords(js: JetStreamClient, action?: string): Promise<AuditRecord[]> {
  const all = await storedAuditRecords<AuditRecord>(js);
  return action === undefined ? all : all.filter((r) => r.action === action);
}
