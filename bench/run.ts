// `npm run bench [-- --rows 1,2,3,4,5,6] [--events N] [--rules 10,1000,10000,1000+9000] [--json] [--quick] [--seed S]`
//
// A benchmark, not a test: it prints figures and asserts nothing. Rows 1-3 run on the same generated events:
// (1) the raw JetStream drain limit, (2) Klaxon's engine draining the same stream with several rule counts, (3)
// evaluation alone against json-rules-engine. Rows 4-6 start `klaxon run` as a process of its own on a fresh
// server: (4) latency at a steady publish rate, (5) an alert storm, (6) catch-up on a backlog. Progress goes to
// stderr, results to stdout.
import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { RECOMMENDED_NODE_FLAGS } from "../src/app/node-flags.js";
import { parseConfig } from "../src/config/index.js";
import { NatsServerProcess } from "../test/support/nats-server.js";
import { useEngineConfig, useEngineNodeFlags } from "./engine-process.js";
import { SOURCE_COUNT, buildWorld, generateEvents, generateRules, rulesElsewhere, type EventSet } from "./generate.js";
import { matchesPerEvent } from "./matches.js";
import { collectGarbage, machine, medianBy, type RowResult } from "./measure.js";
import { catchUpRow } from "./rows/catch-up.js";
import { engineDrain } from "./rows/drain.js";
import { evaluateRows, type EvaluateLimits } from "./rows/evaluate.js";
import { DEFAULT_WARMUP_SECONDS, latencyRows } from "./rows/latency.js";
import { rawDrain } from "./rows/raw.js";
import { stormRow } from "./rows/storm.js";
import { createEventsStream, prefill } from "./stream.js";

const ALL_ROWS = [1, 2, 3, 4, 5, 6] as const;

interface RuleSetSpec {
  estate: number;
  elsewhere: number;
}

const ruleSetLabel = (set: RuleSetSpec): string => (set.elsewhere > 0 ? `${set.estate}+${set.elsewhere}` : String(set.estate));

/** `--engine-config`: a JSON object merged over the engine's production defaults. */
function configObject(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`--engine-config must be a JSON object: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`--engine-config must be a JSON object, got ${text}`);
  return parsed as Record<string, unknown>;
}

function positiveInt(text: string, what: string): number {
  const n = Number(text.replaceAll("_", ""));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, got "${text}"`);
  return n;
}

/** `1000` or `1000+9000` (1,000 rules for this estate and 9,000 for services that send nothing here). */
function parseRuleSet(text: string): RuleSetSpec {
  const [estate, elsewhere] = text.split("+");
  return { estate: positiveInt((estate ?? "").trim(), "--rules"), elsewhere: elsewhere === undefined ? 0 : positiveInt(elsewhere.trim(), "--rules") };
}

interface Options {
  rows: ReadonlySet<number>;
  events: number;
  /** Row 2's rule sets: `estate` rules for this stream's estate, plus `elsewhere` rules for services not in it. */
  rules: RuleSetSpec[];
  evalRules: number;
  passes: number;
  json: boolean;
  quick: boolean;
  seed: number;
  profileDir: string | undefined;
  limits: EvaluateLimits;
  /** Row 4: publish rate (events/s); by default half of row 2's rate with 1,000 rules. */
  rate: number | undefined;
  latencySeconds: number;
  latencyWarmupSeconds: number;
  /** Row 4: busy work per event in the reference relay, µs. */
  referenceWorkMicroseconds: number;
  stormAlerts: number;
  stormSeconds: number;
  backlog: number;
  /** Rows 4-6: Node/V8 flags for the engine process, e.g. V8's memory-saving mode. */
  engineFlags: readonly string[];
  engineLog: string | undefined;
  engineConfig: Record<string, unknown>;
  probeLog: string | undefined;
}

const USAGE = `usage: npm run bench -- [--rows 1,2,3,4,5,6] [--events N] [--rules 10,1000,10000,1000+9000] [--json] [--quick] [--seed S]
  --rows LIST    rows to run (default all): 1 raw drain, 2 engine drain, 3 evaluation alone, 4 latency, 5 storm, 6 catch-up
  --events N     events in the stream of rows 1-3 (default 100000, about 1-2 minutes on 2 cores; --quick: 5000)
  --rules LIST   rule sets for the engine drain rows (default 10,1000,10000,1000+9000; --quick: 10,1000,1000+9000);
                 A+B = A rules for this stream's estate plus B rules pinned to services that send nothing here
  --passes N     rows 1-3: passes, the median is reported (default 3; --quick: 1). Rows 1 and 2 alternate pass by
                 pass, and each ratio to row 1 is taken within its pass
  --rate N       row 4: publish rate, events/s (default: half of row 2 with 1,000 rules; without row 2: 5000)
  --seconds N    row 4: measured seconds at that rate (default 30; --quick: 5)
  --warmup N     row 4: seconds at that rate before the first probe (default 3: a cold engine; 300 fills 5-minute windows)
  --reference-work-us N  row 4: the reference relay spends N µs of busy work on each event, standing in for an engine's
                 (default 0: NATS and Node alone); shows what latency a given cost per event allows on this machine
  --storm N      row 5: distinct alerts firing within --storm-seconds (default 100000 in 60 s; --quick: 2000 in 5 s)
  --backlog N    row 6: events queued while the engine is down (default 500000; --quick: 10000)
  --engine-flags=F  rows 4-6: Node/V8 flags for the engine process, space-separated, after the recommended ones that the
                 Dockerfile gives (src/app/node-flags.ts; a later flag wins), e.g. --engine-flags=--max-semi-space-size=16
  --engine-config JSON  rows 4-6: config merged over the engine's production defaults (klaxon.json's fields), e.g.
                 --engine-config '{"state":{"snapshotIntervalMs":10000}}' to compare another snapshot schedule
  --engine-log FILE  rows 4-6: append the engine process's output to FILE (with --engine-flags=--trace-gc: its GCs)
  --probe-log FILE   row 4: one line per probe, "<ms since the engine started> <latency ms>", to line up with its GCs
  --json         print the results as JSON instead of a table
  --quick        small sizes, a smoke run
  --seed S       PRNG seed for events and rules (default 42)
  --profile DIR  write a CPU profile (.cpuprofile) of rows 1 and 2 into DIR (profiling slows the drain)`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: "string" },
      events: { type: "string" },
      rules: { type: "string" },
      passes: { type: "string" },
      rate: { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      "reference-work-us": { type: "string" },
      storm: { type: "string" },
      "storm-seconds": { type: "string" },
      backlog: { type: "string" },
      "engine-flags": { type: "string" },
      "engine-log": { type: "string" },
      "engine-config": { type: "string" },
      "probe-log": { type: "string" },
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      seed: { type: "string" },
      profile: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick;
  const rows = values.rows ? values.rows.split(",").map((r) => positiveInt(r.trim(), "--rows")) : [...ALL_ROWS];
  for (const row of rows) if (!(ALL_ROWS as readonly number[]).includes(row)) throw new Error(`--rows: there is no row ${row} (rows are ${ALL_ROWS.join(", ")})`);
  return {
    rows: new Set(rows),
    passes: values.passes ? positiveInt(values.passes, "--passes") : quick ? 1 : 3,
    rate: values.rate ? positiveInt(values.rate, "--rate") : undefined,
    latencySeconds: values.seconds ? positiveInt(values.seconds, "--seconds") : quick ? 5 : 30,
    latencyWarmupSeconds: values.warmup ? positiveInt(values.warmup, "--warmup") : DEFAULT_WARMUP_SECONDS,
    referenceWorkMicroseconds: values["reference-work-us"] ? positiveInt(values["reference-work-us"], "--reference-work-us") : 0,
    stormAlerts: values.storm ? positiveInt(values.storm, "--storm") : quick ? 2_000 : 100_000,
    stormSeconds: values["storm-seconds"] ? positiveInt(values["storm-seconds"], "--storm-seconds") : quick ? 5 : 60,
    backlog: values.backlog ? positiveInt(values.backlog, "--backlog") : quick ? 10_000 : 500_000,
    // The recommended flags first, as the Dockerfile gives them; the ones given here after them, so they win.
    engineFlags: [...RECOMMENDED_NODE_FLAGS, ...(values["engine-flags"]?.split(/\s+/).filter((flag) => flag !== "") ?? [])],
    engineLog: values["engine-log"],
    engineConfig: values["engine-config"] ? configObject(values["engine-config"]) : {},
    probeLog: values["probe-log"],
    events: values.events ? positiveInt(values.events, "--events") : quick ? 5_000 : 100_000,
    rules: (values.rules ? values.rules.split(",") : quick ? ["10", "1000", "1000+9000"] : ["10", "1000", "10000", "1000+9000"]).map(parseRuleSet),
    evalRules: 1_000,
    json: values.json,
    quick,
    seed: values.seed ? positiveInt(values.seed, "--seed") : 42,
    profileDir: values.profile,
    limits: quick ? { routedMaxMs: 2_000, naiveMaxMs: 1_000, naiveMaxEvents: 50 } : { routedMaxMs: 15_000, naiveMaxMs: 3_000, naiveMaxEvents: 300 },
  };
}

const progress = (text: string): void => void process.stderr.write(`${text}\n`);

// ---- output -------------------------------------------------------------------------------------------------------

const int = (n: number): string => Math.round(n).toLocaleString("en-US");
const fixed = (n: number | undefined, digits = 1): string => (n === undefined ? "-" : n.toFixed(digits));
const times = (n: number): string =>
  Number.isNaN(n) ? "-" : n >= 100 ? `${int(n)}×` : n >= 10 ? `${n.toFixed(1)}×` : n >= 0.01 ? `${n.toFixed(2)}×` : `1/${int(1 / n)}`;

function ratioText(row: RowResult): string {
  const r = row.ratios;
  if (Object.values(r).some(Number.isNaN)) return "-";
  if (r.vsRaw !== undefined) return `${times(r.vsRaw)} raw`;
  if (r.vsRouted !== undefined && r.vsNaive !== undefined) return `${times(r.vsRouted)} routed, ${times(r.vsNaive)} naive`;
  if (r.vsKlaxon !== undefined) return `${times(r.vsKlaxon)} of Klaxon`;
  return "";
}

function notesText(row: RowResult): string {
  const d = row.details;
  const notes: string[] = [];
  if (d.startupSeconds !== undefined) notes.push(`start-up ${fixed(Number(d.startupSeconds))} s`);
  if (d.stopSeconds !== undefined) notes.push(`stop ${fixed(Number(d.stopSeconds))} s`);
  if (d.alertTransitions !== undefined) notes.push(`${int(Number(d.alertTransitions))} alert transitions`);
  if (d.seriesAtEnd !== undefined) notes.push(`${int(Number(d.seriesAtEnd))} series`);
  if (d.matchesPerEvent !== undefined) notes.push(`${fixed(Number(d.matchesPerEvent))} rules matched per event`);
  if (d.deadLetters) notes.push(`${int(Number(d.deadLetters))} dead letters!`);
  if (d.engines !== undefined) notes.push(`${int(Number(d.engines))} engines`);
  if (d.ruleHits !== undefined) notes.push(`${int(Number(d.ruleHits))} rule hits`);
  if (d.p50Ms !== undefined) notes.push(`p50 ${fixed(Number(d.p50Ms))} ms, p99 ${fixed(Number(d.p99Ms))} ms (${int(Number(d.probes))} probes${d.lostProbes ? `, ${int(Number(d.lostProbes))} lost!` : ""})`);
  if (d.mainThreadMicrosPerEvent !== undefined) notes.push(`CPU ${fixed(Number(d.mainThreadMicrosPerEvent))} µs per event on its main thread (${fixed(Number(d.processMicrosPerEvent))} in all)`);
  if (d.benchLoopDelayP99Ms !== undefined) notes.push(`this process's own event loop late by p99 ${fixed(Number(d.benchLoopDelayP99Ms))} ms, max ${fixed(Number(d.benchLoopDelayMaxMs))} ms`);
  if (d.backlogAtEnd !== undefined) notes.push(`${int(Number(d.backlogAtEnd))} events still queued when publishing stopped`);
  if (d.stageBacklog !== undefined) notes.push(`backlog per durable consumer when publishing stopped: ${String(d.stageBacklog)}`);
  if (d.alertsFiring !== undefined) notes.push(`${int(Number(d.alertsFiring))} alerts firing after ${fixed(Number(d.allFiringAfterSeconds))} s`);
  if (d.groupNotifications !== undefined) notes.push(`${int(Number(d.groupNotifications))} group notifications for ${int(Number(d.groups))} groups`);
  if (d.passes !== undefined) notes.push(`passes ${String(d.passes)}/s`);
  if (d.passRatios !== undefined) notes.push(`ratios by pass ${String(d.passRatios)}`);
  if (d.capped === true) notes.push("capped");
  if (d.profile !== undefined) notes.push(`profile ${String(d.profile)}`);
  if (row.note) notes.push(row.note);
  return notes.join(", ");
}

function table(headers: string[], rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

interface Report {
  machine: ReturnType<typeof machine> & { natsServer: string };
  params: { events: number; rules: string[]; evalRules: number; seed: number; quick: boolean; rows: number[]; engineFlags: string[]; engineConfig: Record<string, unknown> };
  workload: Record<string, number | string>;
  setup: { prefillSeconds: number; prefillEventsPerSecond: number; lastSeq: number } | undefined;
  rows: RowResult[];
  footnotes: string[];
}

const FOOTNOTES = [
  "Ratios of rows 1 and 2 are to the first row. The second row 1 makes the same explicit acks but together once per macrotask",
  "  (setImmediate) instead of one per message: nats.js then sends many acks in one socket write. A reference, not a Klaxon mode.",
  "* json-rules-engine runs each rule as ONE rule whose conditions are the rule's event type + `match` + `when` combined, on the",
  "  decoded event as facts (allowUndefinedFacts, Klaxon's matches/notMatches operators registered): that is all it can do without",
  "  windows, `for`, absence timers or alert state, so it does less work than Klaxon here. routed = one Engine per bucket of Klaxon's",
  "  rule index (metric name, or metric name and service, for metric rules; service, or level, for log rules), an event runs only its",
  "  buckets' Engines;",
  "  naive = one Engine holding every rule (measurement capped). Evaluation rows start from decoded events; decodeEvent is timed apart.",
  "Row 2 is timed from Engine.start() resolving until status().appliedSeq = the last sequence with no pending acks; production",
  "  defaults (1 s ticks, snapshots in 64 parts over 60 s), so it includes ticks, snapshots and publishing alert transitions. Start-up (loading and",
  "  compiling rule files) and stop (final snapshot) are shown apart. Event times lie in the recent past, so timers due by the",
  "  wall clock also fire during the drain (a catch-up after an outage).",
  "RSS: rows 1-3, the whole bench process (peak, sampled every 25 ms; not nats-server); rows 4-6, the engine process (`klaxon run`,",
  "  peak VmHWM). CPU: % of one core (bench process / nats-server).",
  "Rows 4-6 run `klaxon run` from the build (compiled first, as the Dockerfile runs it, with its node flags; production defaults: 1 s ticks) in its own process on a fresh nats-server, with the generated rules and",
  "  one probe rule that fires on the first event of each new source. Row 4 publishes the generated events at a steady rate (restamped",
  "  to the current time) plus 20 probes/s; latency is measured from the probe's publish to its state change on klaxon.alerts.*, and",
  "  from there to the first webhook request of its group (notify stage → a webhook server on this machine), minus group_wait;",
  "  after the last probe, stragglers count for up to 10 s (state changes) and 120 s (webhook requests): \"lost\" never came.",
  "  Row 4's reference publishes the same events at the same rate to a fresh nats-server where, instead of the engine, a bare relay",
  "  (bench/relay.ts, a process with the engine's node flags) takes them from the consumer Klaxon provisions, parses each, acks",
  "  once per macrotask and publishes each probe's state change through JetStream: the latency NATS and Node alone give here.",
  "  CPU per event (row 4): the answering process's CPU time while publishing (/proc: its main thread, and all its threads),",
  "  divided by the events sent, fixed costs (timers, heartbeats, warming up) included, so it reads high at low rates; on",
  "  these 2-core VMs row 4's p99 follows the main thread's figure (docs/performance.md).",
  "  Row 5 fires one alert per probe source; row 6 checks every alert the pure Evaluator derives from the backlog was published.",
];

function printTable(report: Report): void {
  const m = report.machine;
  const w = report.workload;
  console.log(`Klaxon benchmark: node ${m.node}, ${m.cpu} (${m.cores} cores), ${m.platform}, nats-server ${m.natsServer}`);
  if (report.params.rows.some((row) => row >= 4)) {
    console.log(`engine process (rows 4-6) run with: node ${report.params.engineFlags.join(" ")}`);
    if (Object.keys(report.params.engineConfig).length > 0) console.log(`  and config over the defaults: ${JSON.stringify(report.params.engineConfig)}`);
  }
  if (w.metricEvents !== undefined) {
    console.log(
      `Workload: ${int(report.params.events)} events (${int(Number(w.metricEvents))} metric / ${int(Number(w.logEvents))} log, ` +
        `mean ${int(Number(w.meanEventBytes))} B, ${w.sources} sources, ${w.metricNames} metric names, ${fixed(Number(w.timelineSeconds))} s of event time), seed ${report.params.seed}`,
    );
  }
  if (report.setup) console.log(`Pre-fill: ${int(report.setup.lastSeq)} events published in ${fixed(report.setup.prefillSeconds)} s (${int(report.setup.prefillEventsPerSecond)}/s, pipelined JetStream publishes)`);
  console.log("");
  const headers = ["row", "what", "rules", "events", "time s", "events/s", "ratio", "peak RSS MB", "CPU %", "server CPU %", "notes"];
  const rows = report.rows.map((r) => [
    r.row,
    r.label,
    r.rules === undefined ? "-" : int(r.rules),
    int(r.events),
    Number.isNaN(r.seconds) ? "-" : fixed(r.seconds, 2),
    Number.isNaN(r.eventsPerSecond) ? "-" : int(r.eventsPerSecond),
    ratioText(r),
    fixed(r.peakRssMb, 0),
    fixed(r.cpuPercent, 0),
    fixed(r.serverCpuPercent, 0),
    notesText(r),
  ]);
  console.log(table(headers, rows, new Set([2, 3, 4, 5, 7, 8, 9])));
  console.log("");
  for (const line of report.footnotes) console.log(line);
}

// ---- the run ------------------------------------------------------------------------------------------------------

async function withServer<T>(fn: (server: NatsServerProcess) => Promise<T>): Promise<T> {
  const server = await NatsServerProcess.start();
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

async function serverVersion(server: NatsServerProcess): Promise<string> {
  const nc = await connect({ servers: server.url, name: "klaxon-bench-version" });
  const version = nc.info?.version ?? "unknown";
  await nc.close();
  return version;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  useEngineNodeFlags(options.engineFlags, options.engineLog);
  useEngineConfig(options.engineConfig);
  const want = (row: number): boolean => options.rows.has(row);
  const world = buildWorld(options.seed);
  const allRules = generateRules(world, Math.max(options.evalRules, ...options.rules.map((r) => r.estate)), options.seed);
  const evalRules = allRules.slice(0, options.evalRules);
  const needsEvents = want(1) || want(2) || want(3);
  if (needsEvents) progress(`generating ${int(options.events)} events and ${int(allRules.length)} rules (seed ${options.seed})`);
  const set: EventSet | undefined = needsEvents ? generateEvents(world, options.events, options.seed, Date.now()) : undefined;
  const rows: RowResult[] = [];
  let natsServer = "unknown";
  let setup: Report["setup"];

  if (set && (want(1) || want(2))) {
    ({ natsServer, setup } = await withServer(async (server) => {
      progress(`nats-server ${server.url} (pid ${server.pid}), store ${server.storeDir}`);
      const config = parseConfig({ nats: { servers: [server.url] } });
      const nc = await connect({ servers: server.url, name: "klaxon-bench-setup" });
      let prefilled;
      const version = nc.info?.version ?? "unknown";
      try {
        await createEventsStream(await jetstreamManager(nc), config);
        progress(`pre-filling ${config.streams.events}`);
        prefilled = await prefill(jetstream(nc), set.events);
      } finally {
        await nc.close();
      }
      if (prefilled.lastSeq !== set.events.length) throw new Error(`stream holds ${prefilled.lastSeq} events, expected ${set.events.length}`);

      // Rows 1 and 2 alternate, pass by pass: a ratio is taken within one pass, minutes apart at most, so the
      // neighbours' load (which moves row 1 by ±40% between runs of one day) weighs on both sides of it alike.
      const passes: DrainPass[] = [];
      for (let pass = 1; pass <= options.passes; pass++) {
        const of = options.passes > 1 ? ` (pass ${pass} of ${options.passes})` : "";
        const figures: DrainPass = { drains: [] };
        if (want(1)) {
          progress(`row 1: raw drain${of}`);
          collectGarbage();
          const each = await rawDrain({ url: server.url, config, lastSeq: prefilled.lastSeq, serverPid: server.pid, ackMode: "each", profileDir: options.profileDir });
          collectGarbage();
          const coalesced = await rawDrain({ url: server.url, config, lastSeq: prefilled.lastSeq, serverPid: server.pid, ackMode: "coalesced", profileDir: options.profileDir });
          figures.raw = { each, coalesced };
        }
        if (want(2)) {
          for (const ruleSet of options.rules) {
            const rules = [...allRules.slice(0, ruleSet.estate), ...rulesElsewhere(world, ruleSet.elsewhere, options.seed, ruleSet.estate)];
            progress(`row 2: Klaxon drain, ${ruleSetLabel(ruleSet)} rules${of}`);
            collectGarbage();
            const row = await engineDrain({ url: server.url, rules, lastSeq: prefilled.lastSeq, serverPid: server.pid, profileDir: options.profileDir, pass, onProgress: progress });
            if (ruleSet.elsewhere > 0) row.label = `Klaxon engine drain (${int(ruleSet.elsewhere)} of the rules for services not in the stream)`;
            row.details = { ...row.details, ...(ruleSet.elsewhere > 0 ? { rulesElsewhere: ruleSet.elsewhere } : {}), matchesPerEvent: round2(matchesPerEvent(rules, set.events)) };
            if (figures.raw) row.ratios = { vsRaw: row.eventsPerSecond / figures.raw.each.eventsPerSecond };
            figures.drains.push(row);
          }
        }
        passes.push(figures);
      }
      rows.push(...medianRowsOfPasses(passes, options.rules.length));
      return { natsServer: version, setup: { prefillSeconds: prefilled.seconds, prefillEventsPerSecond: prefilled.lastSeq / prefilled.seconds, lastSeq: prefilled.lastSeq } };
    }));
  }

  if (set && want(3)) {
    progress(`row 3: evaluation alone, ${int(options.evalRules)} rules`);
    rows.push(...(await evaluateRows({ rules: evalRules, events: set.events, startMs: set.firstTimeMs, limits: options.limits, passes: options.passes, onProgress: progress })));
  }

  if (want(4)) {
    const drain = rows.find((r) => r.row === "2" && r.rules === 1_000 && Number.isFinite(r.eventsPerSecond));
    const rate = options.rate ?? (drain ? Math.round(drain.eventsPerSecond / 2) : options.quick ? 2_000 : 5_000);
    const rateSource = options.rate ? "given (--rate)" : drain ? "half of row 2 with 1,000 rules" : "a default (row 2 with 1,000 rules not run; --rate sets it)";
    progress(`row 4: latency at ${int(rate)} events/s`);
    rows.push(...(await latencyRows({ rules: evalRules, world, seed: options.seed, ratePerSecond: rate, rateSource, durationSeconds: options.latencySeconds, warmupSeconds: options.latencyWarmupSeconds, probeLog: options.probeLog, referenceWorkMicroseconds: options.referenceWorkMicroseconds, onProgress: progress })));
  }
  if (want(5)) {
    progress(`row 5: storm of ${int(options.stormAlerts)} alerts`);
    const intervals = options.quick ? { groupWaitSeconds: 2, groupIntervalSeconds: 5 } : { groupWaitSeconds: 10, groupIntervalSeconds: 30 };
    rows.push(await stormRow({ rules: evalRules, world, alerts: options.stormAlerts, seconds: options.stormSeconds, ...intervals, onProgress: progress }));
  }
  if (want(6)) {
    progress(`row 6: catch-up on ${int(options.backlog)} queued events`);
    rows.push(await catchUpRow({ rules: evalRules, world, seed: options.seed, events: options.backlog, onProgress: progress }));
  }

  if (natsServer === "unknown") natsServer = await withServer(serverVersion);
  const report: Report = {
    machine: { ...machine(), natsServer },
    params: { events: options.events, rules: options.rules.map(ruleSetLabel), evalRules: options.evalRules, seed: options.seed, quick: options.quick, rows: [...options.rows], engineFlags: [...options.engineFlags], engineConfig: options.engineConfig },
    workload: set
      ? {
          metricEvents: set.metricCount,
          logEvents: set.logCount,
          meanEventBytes: set.meanBytes,
          sources: SOURCE_COUNT,
          metricNames: world.metrics.length,
          services: world.services.length,
          timelineSeconds: (set.lastTimeMs - set.firstTimeMs) / 1_000,
        }
      : {},
    setup,
    rows,
    footnotes: FOOTNOTES,
  };
  if (options.json) console.log(JSON.stringify(report, null, 2));
  else printTable(report);
}

// Exit explicitly: an engine whose start-up failed may still hold a reconnecting NATS connection.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);

/** One pass of rows 1 and 2: row 1's two drains (when row 1 runs), then row 2's, one per rule set. */
interface DrainPass {
  raw?: { each: RowResult; coalesced: RowResult };
  drains: RowResult[];
}

/**
 * One row per measurement, from several passes: row 1 the median pass by events/s; each row 2 the pass whose ratio to
 * its own pass's row 1 is the median (its events/s are that pass's). Every pass's figure is kept in the details.
 */
function medianRowsOfPasses(passes: readonly DrainPass[], ruleSets: number): RowResult[] {
  const rows: RowResult[] = [];
  const many = passes.length > 1;
  const perPass = (values: readonly number[], digits: number): string => values.map((v) => v.toFixed(digits)).join(" ");
  const raws = passes.flatMap((p) => (p.raw ? [p.raw] : []));
  if (raws.length > 0) {
    const each = raws.map((r) => r.each);
    const raw = { ...medianBy(each, (r) => r.eventsPerSecond), ratios: { vsRaw: 1 } };
    // The coalesced reference is compared with row 1 of its own pass.
    const coalescedRatio = (pass: (typeof raws)[number]): number => pass.coalesced.eventsPerSecond / pass.each.eventsPerSecond;
    const middle = medianBy(raws, coalescedRatio);
    const coalesced = { ...middle.coalesced, ratios: { vsRaw: coalescedRatio(middle) } };
    if (many) {
      raw.details = { ...raw.details, passes: perPass(each.map((r) => r.eventsPerSecond), 0) };
      raw.note = `median of ${passes.length} passes`;
      coalesced.details = { ...coalesced.details, passRatios: perPass(raws.map(coalescedRatio), 2) };
    }
    rows.push(raw, coalesced);
  }
  // Without row 1 there is no ratio: row 2's passes are then ordered by events/s.
  const byRatio = raws.length > 0;
  const ratio = (r: RowResult): number => r.ratios.vsRaw ?? Number.NaN;
  for (let set = 0; set < ruleSets; set++) {
    const drains = passes.flatMap((p) => (p.drains[set] ? [p.drains[set] as RowResult] : []));
    if (drains.length === 0) continue;
    const median = { ...medianBy(drains, byRatio ? ratio : (r) => r.eventsPerSecond) };
    if (many) {
      median.details = { ...median.details, passes: perPass(drains.map((r) => r.eventsPerSecond), 0), ...(byRatio ? { passRatios: perPass(drains.map(ratio), 2) } : {}) };
      median.note = byRatio ? `median of ${passes.length} passes by the ratio to row 1 of the same pass` : `median of ${passes.length} passes`;
    }
    rows.push(median);
  }
  return rows;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
