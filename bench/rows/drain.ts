// Row 2: Klaxon's engine drains the same pre-filled stream, on a fresh durable consumer per rule set.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Engine } from "../../src/app/engine.js";
import { parseConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/core/logger.js";
import type { RuleJson } from "../generate.js";
import { Probe, now, sleep, startCpuProfile, type RowResult } from "../measure.js";

/** A drain that stops moving for this long is reported as stuck rather than waited on forever. */
const STALL_MS = 60_000;
/** Start-up (loading, compiling, provisioning, recovery) that takes longer than this is reported as failed. */
const STARTUP_TIMEOUT_MS = 30_000;

/** One rule per file under <dir>/alerts, as a rules repository keeps them. */
async function writeRulesDir(rules: readonly RuleJson[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-bench-rules-"));
  await mkdir(join(dir, "alerts"));
  for (let i = 0; i < rules.length; i += 200) {
    await Promise.all(rules.slice(i, i + 200).map((rule) => writeFile(join(dir, "alerts", `${String(rule.id)}.json`), JSON.stringify(rule, null, 2))));
  }
  return dir;
}

async function counterTotal(counter: { get(): Promise<{ values: ReadonlyArray<{ value: number }> }> }): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}

export async function engineDrain(options: {
  url: string;
  rules: readonly RuleJson[];
  lastSeq: number;
  serverPid: number | undefined;
  /** Write a CPU profile of the drain (start-up excluded) into this directory. */
  profileDir?: string | undefined;
  /** Which pass of several this is: each has a durable (and snapshots) of its own, so none restores another's state. */
  pass?: number;
  onProgress?: (text: string) => void;
}): Promise<RowResult> {
  const { rules, lastSeq } = options;
  const dir = await writeRulesDir(rules);
  // One durable (and so one snapshot name) per rule set: two sets of the same size must not find each other's state.
  const durable = `bench-klaxon-${rules.length}-${createHash("sha256").update(rules.map((r) => String(r.id)).join("\n")).digest("hex").slice(0, 8)}-${options.pass ?? 1}`;
  // Production defaults (1 s ticks, 10 s snapshots, 2 s late-event tolerance), minus file watching and logs.
  const config = parseConfig({ nats: { servers: [options.url] }, rulesDir: dir, watchRules: false, logLevel: "silent", consumer: { durable } });
  let engine: Engine | undefined;
  try {
    const startupBegan = now();
    const starting = new Engine({ config, logger: silentLogger, actor: "bench" });
    const started = await withinTime(starting.start(), STARTUP_TIMEOUT_MS);
    if (!started) {
      // Say what it was stuck on: the engine counts every failed publish it retries, by what it was publishing.
      const retries = (await starting.metrics.publishRetries.get()).values.filter((v) => v.value > 0).map((v) => `${String(v.labels.what)} ${v.value}×`);
      await starting.crash().catch(() => undefined);
      return failedRow(rules.length, `FAILED: start-up not done after ${STARTUP_TIMEOUT_MS / 1_000} s; publish retries: ${retries.join(", ") || "none"}`);
    }
    engine = starting;
    const startupSeconds = (now() - startupBegan) / 1_000;

    const profile = options.profileDir ? await startCpuProfile(options.profileDir, `drain-${rules.length}-rules`) : undefined;
    const probe = new Probe(options.serverPid);
    let last = engine.status();
    let lastMoveAt = now();
    let lastReportAt = now();
    while (last.appliedSeq < lastSeq || last.pendingAcks > 0) {
      await sleep(5);
      const status = engine.status();
      if (status.appliedSeq !== last.appliedSeq || status.pendingAcks !== last.pendingAcks) lastMoveAt = now();
      else if (now() - lastMoveAt > STALL_MS) throw new Error(`Klaxon drain with ${rules.length} rules stalled at seq ${status.appliedSeq} of ${lastSeq}`);
      if (options.onProgress && now() - lastReportAt > 5_000) {
        options.onProgress(`  ${rules.length} rules: ${status.appliedSeq} / ${lastSeq}`);
        lastReportAt = now();
      }
      last = status;
    }
    const figures = probe.stop();
    const profileFile = await profile?.stop();
    const status = engine.status();
    const transitions = await counterTotal(engine.metrics.transitions);
    const deadLetters = await counterTotal(engine.metrics.deadLetters);

    const stopBegan = now();
    await engine.stop();
    const stopSeconds = (now() - stopBegan) / 1_000;
    engine = undefined;
    await deleteConsumer(options.url, config.streams.events, durable);
    return {
      row: "2",
      label: "Klaxon engine drain",
      rules: rules.length,
      events: lastSeq,
      seconds: figures.seconds,
      eventsPerSecond: lastSeq / figures.seconds,
      peakRssMb: figures.peakRssMb,
      cpuPercent: figures.cpuPercent,
      serverCpuPercent: figures.serverCpuPercent,
      ratios: {},
      details: {
        startupSeconds,
        stopSeconds,
        alertTransitions: transitions,
        deadLetters,
        seriesAtEnd: status.series,
        pendingAlertsAtEnd: status.pendingAlerts,
        ...(profileFile ? { profile: profileFile } : {}),
      },
    };
  } finally {
    await engine?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Resolves true when `task` finishes in time, false when it does not (a later rejection is ignored then). */
async function withinTime(task: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([task.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
    task.catch(() => undefined);
  }
}

function failedRow(rules: number, note: string): RowResult {
  return {
    row: "2",
    label: "Klaxon engine drain",
    rules,
    events: 0,
    seconds: Number.NaN,
    eventsPerSecond: Number.NaN,
    peakRssMb: undefined,
    cpuPercent: undefined,
    serverCpuPercent: undefined,
    ratios: {},
    details: {},
    note,
  };
}

async function deleteConsumer(url: string, stream: string, durable: string): Promise<void> {
  const nc = await connect({ servers: url, name: "klaxon-bench-cleanup" });
  try {
    await (await jetstreamManager(nc)).consumers.delete(stream, durable);
  } finally {
    await nc.close();
  }
}
