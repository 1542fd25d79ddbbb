// Seeded, deterministic events and rules for the benchmark. Same seed → same bytes, so runs compare.
//
// The simulated estate: 1,000 sources (hosts) spread over 50 services. Every source reports 20 common host metrics;
// each service has a role (http, db, queue, ...) whose 18 metrics its sources also report: 200 metric names in all.
// A few sources run hot (their values drift up, so some rules fire) and a few die half-way (absence rules notice).

/** A small, fast 32-bit PRNG (mulberry32). Never Math.random: runs must be comparable. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Picks by weight: `[[item, weight], ...]`. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [item, w] of choices) {
      r -= w;
      if (r < 0) return item;
    }
    return (choices[choices.length - 1] as readonly [T, number])[0];
  }
}

// ---- the estate ------------------------------------------------------------------------------------------------

type Shape = "percent" | "latency" | "rate" | "gauge" | "counter" | "up" | "heartbeat";

export interface MetricSpec {
  name: string;
  shape: Shape;
  /** Typical value and spread of a healthy source. */
  base: number;
  spread: number;
}

export interface Source {
  name: string;
  service: string;
  role: string;
  region: string;
  /** Runs hot: values drift up to about twice their usual level. */
  hot: boolean;
  /** Goes silent half-way through the timeline. */
  diesAtFraction: number | undefined;
  metrics: readonly MetricSpec[];
}

export interface World {
  sources: readonly Source[];
  services: readonly string[];
  roleOf: ReadonlyMap<string, string>;
  metrics: readonly MetricSpec[];
  commonMetrics: readonly MetricSpec[];
  roleMetrics: ReadonlyMap<string, readonly MetricSpec[]>;
  /** Services of each role, and which services report a metric. */
  servicesByRole: ReadonlyMap<string, readonly string[]>;
  servicesReporting(metric: string): readonly string[];
}

const COMMON: ReadonlyArray<[string, Shape]> = [
  ["cpu_usage_percent", "percent"],
  ["memory_used_percent", "percent"],
  ["disk_used_percent", "percent"],
  ["swap_used_percent", "percent"],
  ["inode_used_percent", "percent"],
  ["io_wait_percent", "percent"],
  ["load_average_1m", "gauge"],
  ["net_rx_bytes_per_s", "rate"],
  ["net_tx_bytes_per_s", "rate"],
  ["tcp_retransmits_per_s", "rate"],
  ["ctx_switches_per_s", "rate"],
  ["open_file_descriptors", "gauge"],
  ["process_threads", "gauge"],
  ["heap_used_bytes", "gauge"],
  ["gc_pause_ms", "latency"],
  ["ntp_offset_ms", "latency"],
  ["uptime_seconds", "counter"],
  ["fs_errors_total", "counter"],
  ["up", "up"],
  ["heartbeat", "heartbeat"],
];

const ROLES = ["http", "db", "queue", "cache", "batch", "storage", "search", "stream", "auth", "ml"] as const;

const ROLE_SUFFIXES: ReadonlyArray<[string, Shape]> = [
  ["request_latency_ms", "latency"],
  ["p99_latency_ms", "latency"],
  ["requests_per_s", "rate"],
  ["errors_per_s", "rate"],
  ["retries_per_s", "rate"],
  ["timeouts_per_s", "rate"],
  ["throughput_bytes_per_s", "rate"],
  ["error_ratio_percent", "percent"],
  ["pool_utilization_percent", "percent"],
  ["cache_hit_percent", "percent"],
  ["saturation_percent", "percent"],
  ["queue_depth", "gauge"],
  ["connections_active", "gauge"],
  ["connections_waiting", "gauge"],
  ["backlog_items", "gauge"],
  ["in_flight", "gauge"],
  ["lag_seconds", "latency"],
  ["failures_total", "counter"],
];

const SERVICE_BASES = [
  "api", "auth", "billing", "cart", "catalog", "checkout", "search", "payments", "orders", "inventory",
  "shipping", "pricing", "reviews", "users", "notify", "media", "reports", "ledger", "fraud", "gateway",
  "sessions", "recommend", "tax", "coupons", "export",
];

const REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "ap-south-1"];

export const SOURCE_COUNT = 1_000;

function metricSpec(name: string, shape: Shape, rng: Rng): MetricSpec {
  switch (shape) {
    case "percent":
      return { name, shape, base: Math.round(rng.between(20, 60)), spread: Math.round(rng.between(4, 12)) };
    case "latency":
      return { name, shape, base: Math.round(rng.between(5, 250)), spread: 0.5 };
    case "rate":
      return { name, shape, base: Math.round(rng.between(10, 5_000)), spread: 0.3 };
    case "gauge":
      return { name, shape, base: Math.round(rng.between(10, 2_000)), spread: 0.25 };
    case "counter":
      return { name, shape, base: Math.round(rng.between(1, 50)), spread: 0 };
    case "up":
    case "heartbeat":
      return { name, shape, base: 1, spread: 0 };
  }
}

/** The estate is fixed for a seed, whatever the number of events or rules. */
export function buildWorld(seed: number): World {
  const rng = new Rng(seed ^ 0x5eed);
  const commonMetrics = COMMON.map(([name, shape]) => metricSpec(name, shape, rng));
  const roleMetrics = new Map<string, MetricSpec[]>();
  for (const role of ROLES) roleMetrics.set(role, ROLE_SUFFIXES.map(([suffix, shape]) => metricSpec(`${role}_${suffix}`, shape, rng)));
  const services = SERVICE_BASES.flatMap((b) => [b, `${b}-worker`]);
  const roleOf = new Map(services.map((s, i) => [s, ROLES[i % ROLES.length] as string]));
  const servicesByRole = new Map<string, string[]>();
  for (const [service, role] of roleOf) servicesByRole.set(role, [...(servicesByRole.get(role) ?? []), service]);

  const sources: Source[] = [];
  for (let i = 0; i < SOURCE_COUNT; i++) {
    const service = services[i % services.length] as string;
    const role = roleOf.get(service) as string;
    sources.push({
      name: `${service}-${String(Math.floor(i / services.length)).padStart(2, "0")}`,
      service,
      role,
      region: rng.pick(REGIONS),
      hot: rng.chance(0.03),
      diesAtFraction: rng.chance(0.005) ? rng.between(0.3, 0.7) : undefined,
      metrics: [...commonMetrics, ...(roleMetrics.get(role) as MetricSpec[])],
    });
  }
  const metrics = [...commonMetrics, ...[...roleMetrics.values()].flat()];
  const roleOfMetric = new Map<string, string>();
  for (const [role, specs] of roleMetrics) for (const m of specs) roleOfMetric.set(m.name, role);
  return {
    sources,
    services,
    roleOf,
    metrics,
    commonMetrics,
    roleMetrics,
    servicesByRole,
    servicesReporting: (metric) => {
      const role = roleOfMetric.get(metric);
      return role === undefined ? services : (servicesByRole.get(role) as string[]);
    },
  };
}

// ---- events -----------------------------------------------------------------------------------------------------

export interface GeneratedEvent {
  subject: string;
  /** The JSON text a producer would publish. */
  json: string;
}

export interface EventSet {
  events: GeneratedEvent[];
  firstTimeMs: number;
  lastTimeMs: number;
  metricCount: number;
  logCount: number;
  /** Mean size of an event's JSON, bytes. */
  meanBytes: number;
}

/** A source reports each of its series about every 15 s, as a scrape interval would. */
const SERIES_INTERVAL_MS = 15_000;
const LOG_SHARE = 0.15;

const LEVELS: ReadonlyArray<readonly [LogLevel, number]> = [
  ["debug", 4],
  ["info", 70],
  ["warn", 15],
  ["error", 10],
  ["fatal", 1],
];
type LogLevel = "debug" | "info" | "warn" | "error" | "fatal";

const RESOURCES = ["orders", "users", "carts", "payments", "items", "sessions", "invoices", "shipments"];
const TABLES = ["orders", "payments", "users", "inventory", "events", "ledger_entries"];
const COMPONENTS = ["http", "db", "worker", "scheduler", "client", "cache"];

function logMessage(level: LogLevel, world: World, rng: Rng): string {
  const id = rng.int(1_000_000);
  const ms = Math.round(Math.exp(rng.between(1, 9)));
  const peer = rng.pick(world.services);
  switch (level) {
    case "debug":
      return `cache lookup key=${rng.pick(RESOURCES)}:${id} hit=${rng.chance(0.8)}`;
    case "info":
      return rng.pick([
        () => `GET /api/v1/${rng.pick(RESOURCES)}/${id} 200 in ${ms}ms`,
        () => `POST /api/v1/${rng.pick(RESOURCES)} 201 in ${ms}ms`,
        () => `job ${id} completed in ${ms}ms`,
        () => `cache refresh done (${rng.int(50_000)} keys)`,
      ])();
    case "warn":
      return rng.pick([
        () => `slow query on ${rng.pick(TABLES)} took ${ms}ms`,
        () => `retrying request to ${peer} (attempt ${1 + rng.int(9)})`,
        () => `pool near capacity: ${90 + rng.int(10)}/100 connections in use`,
        () => `GET /api/v1/${rng.pick(RESOURCES)}/${id} 429 in ${ms}ms`,
      ])();
    case "error":
      return rng.pick([
        () => `connection refused to ${peer}:${5000 + rng.int(5000)}`,
        () => `timeout after ${ms}ms calling ${peer}`,
        () => `upstream ${peer} returned ${rng.pick([500, 502, 503, 504])}`,
        () => `deadlock detected on ${rng.pick(TABLES)}`,
        () => `failed to process message ${id}: ${rng.pick(["invalid payload", "schema mismatch", "duplicate key"])}`,
        () => `GET /api/v1/${rng.pick(RESOURCES)}/${id} 500 in ${ms}ms`,
      ])();
    case "fatal":
      return rng.pick([() => `out of memory: killed process ${id}`, () => `panic: runtime error: index out of range [${rng.int(64)}]`])();
  }
}

function metricValue(spec: MetricSpec, hot: boolean, drift: number, counters: Map<string, number>, key: string, rng: Rng): number {
  // A hot source's values climb to about twice their usual level over the timeline.
  const heat = hot ? 1 + drift : 1;
  switch (spec.shape) {
    case "percent":
      return Math.round(Math.min(100, Math.max(0, spec.base * heat + rng.normal() * spec.spread)) * 10) / 10;
    case "latency":
    case "rate":
    case "gauge":
      return Math.round(spec.base * heat * Math.exp(rng.normal() * spec.spread) * 100) / 100;
    case "counter": {
      const next = (counters.get(key) ?? rng.int(10_000)) + Math.round(spec.base * heat * rng.next());
      counters.set(key, next);
      return next;
    }
    case "up":
      return rng.chance(hot ? 0.02 : 0.0005) ? 0 : 1;
    case "heartbeat":
      return 1;
  }
}

/**
 * `count` events in time order, ending at `endMs`: 85% metrics from a random live source's metrics, 15% logs.
 * Event times are ISO-8601 strings, as most producers send them.
 */
export function generateEvents(world: World, count: number, seed: number, endMs: number): EventSet {
  const rng = new Rng(seed);
  const metricSeries = world.sources.reduce((n, s) => n + s.metrics.length, 0);
  const stepMs = (SERIES_INTERVAL_MS * (1 - LOG_SHARE)) / metricSeries;
  const firstTimeMs = Math.round(endMs - count * stepMs);
  const counters = new Map<string, number>();
  const events: GeneratedEvent[] = [];
  let metricCount = 0;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const fraction = i / count;
    const timeMs = Math.round(firstTimeMs + i * stepMs);
    let source = rng.pick(world.sources);
    while (source.diesAtFraction !== undefined && fraction > source.diesAtFraction) source = rng.pick(world.sources);
    const time = new Date(timeMs).toISOString();
    let event: Record<string, unknown>;
    if (rng.chance(LOG_SHARE)) {
      const level = rng.weighted(source.hot ? LEVELS.map(([l, w]) => [l, l === "error" ? w * 3 : w] as const) : LEVELS);
      event = {
        type: "log",
        source: source.name,
        service: source.service,
        time,
        labels: { region: source.region, component: rng.pick(COMPONENTS) },
        level,
        message: logMessage(level, world, rng),
      };
    } else {
      const spec = rng.pick(source.metrics);
      const labels: Record<string, string> = { region: source.region, env: "prod" };
      if (spec.name === "disk_used_percent" || spec.name === "inode_used_percent") labels.mount = rng.pick(["/", "/var", "/data"]);
      event = {
        type: "metric",
        source: source.name,
        service: source.service,
        time,
        labels,
        name: spec.name,
        value: metricValue(spec, source.hot, fraction, counters, `${source.name}/${spec.name}`, rng),
      };
      metricCount++;
    }
    const json = JSON.stringify(event);
    bytes += json.length;
    events.push({ subject: `events.${String(event.type)}.${source.name}`, json });
  }
  return { events, firstTimeMs, lastTimeMs: Math.round(firstTimeMs + (count - 1) * stepMs), metricCount, logCount: count - metricCount, meanBytes: count ? bytes / count : 0 };
}

// ---- rules --------------------------------------------------------------------------------------------------------

export type RuleJson = Record<string, unknown>;

const SEVERITIES = ["critical", "error", "warning", "info"] as const;
const TEAMS = ["platform", "payments", "storefront", "data", "identity", "sre"];

const LOG_PATTERNS = [
  "(timeout|connection refused)",
  "upstream \\S+ returned 5\\d\\d",
  "deadlock detected",
  "out of memory|panic:",
  "slow query on (orders|payments|ledger_entries) took \\d{4,}ms",
  "retrying request to \\S+ \\(attempt [5-9]\\)",
  "failed to process message \\d+: (schema mismatch|invalid payload)",
  " 5\\d\\d in \\d+ms$",
];

const leaf = (fact: string, operator: string, value: unknown): RuleJson => ({ fact, operator, value });

/** A threshold a healthy source rarely crosses and a hot one does. */
function highThreshold(spec: MetricSpec, rng: Rng): number {
  switch (spec.shape) {
    case "percent":
      return Math.min(99, Math.round(spec.base + spec.spread * rng.between(2.5, 4)));
    case "latency":
    case "rate":
    case "gauge":
      return Math.round(spec.base * rng.between(1.8, 3));
    default:
      return Math.round(spec.base * 1_000);
  }
}

function common(id: string, rng: Rng, summary: string): RuleJson {
  return {
    id,
    version: 1 + rng.int(3),
    severity: rng.pick(SEVERITIES),
    labels: { team: rng.pick(TEAMS) },
    annotations: { summary, runbook: `https://runbooks.example.com/${id}` },
  };
}

/** Metric rules mostly target the metrics of a role; some are scoped to one service as team-owned rules are. */
function metricTarget(world: World, rng: Rng): { spec: MetricSpec; service: string | undefined } {
  const spec = rng.chance(0.3) ? rng.pick(world.commonMetrics.filter((m) => m.shape !== "heartbeat")) : rng.pick([...world.roleMetrics.values()].flat());
  const service = rng.chance(0.6) ? rng.pick(world.servicesReporting(spec.name)) : undefined;
  return { spec, service };
}

function metricMatch(name: string, service: string | undefined): RuleJson {
  return { all: [leaf("name", "equal", name), ...(service ? [leaf("service", "equal", service)] : [])] };
}

function thresholdRule(i: number, world: World, rng: Rng): RuleJson {
  const { spec, service } = metricTarget(world, rng);
  const id = `threshold-${spec.name.replaceAll("_", "-")}-${i}`;
  const isUp = spec.shape === "up";
  const when = isUp ? { all: [leaf("value", "equal", 0)] } : { all: [leaf("value", "greaterThan", highThreshold(spec, rng))] };
  return {
    ...common(id, rng, `{{ source }} ${spec.name} is {{ value }}`),
    kind: "threshold",
    event: "metric",
    match: metricMatch(spec.name, service),
    keyBy: spec.name.endsWith("used_percent") && rng.chance(0.5) ? ["source", "labels.mount"] : rng.pick([["source"], ["source", "service", "labels"], ["service"]]),
    when,
    ...(isUp || rng.chance(0.4) ? { for: rng.pick(["30s", "1m", "2m", "5m"]) } : {}),
    ...(isUp && rng.chance(0.5) ? { flapping: { changes: 4, window: "10m" } } : {}),
  };
}

function metricWindowRule(i: number, world: World, rng: Rng): RuleJson {
  const { spec, service } = metricTarget(world, rng);
  const aggregate = spec.shape === "counter" ? "rate" : rng.weighted([["avg", 5], ["max", 3], ["count", 1]] as const);
  // Per service and metric about 80 samples a minute arrive; a counter grows by base/2 per 15 s sample.
  const threshold =
    aggregate === "count" ? 150 + rng.int(100) : aggregate === "rate" ? Math.round((spec.base / 30) * rng.between(1.6, 2.2) * 100) / 100 : highThreshold(spec, rng);
  const id = `window-${aggregate}-${spec.name.replaceAll("_", "-")}-${i}`;
  return {
    ...common(id, rng, `{{ labels.service }} ${spec.name} ${aggregate} is {{ value }} over the window`),
    kind: "window",
    event: "metric",
    match: metricMatch(spec.name, service),
    keyBy: aggregate === "rate" ? ["source"] : rng.pick([["service"], ["source"]]),
    window: rng.pick(["1m", "5m"]),
    aggregate,
    when: { all: [leaf("value", "greaterThan", threshold)] },
    ...(rng.chance(0.3) ? { for: rng.pick(["1m", "2m"]) } : {}),
  };
}

function logRule(i: number, world: World, rng: Rng): RuleJson {
  // Most log rules belong to one service; a few watch every service.
  const service = rng.chance(0.95) ? rng.pick(world.services) : undefined;
  const levels = rng.weighted([[["error", "fatal"], 6], [["warn"], 2], [["error"], 2]] as const);
  const match = {
    all: [
      ...(service ? [leaf("service", "equal", service)] : []),
      levels.length === 1 ? leaf("level", "equal", levels[0]) : leaf("level", "in", levels),
      leaf("message", "matches", rng.pick(LOG_PATTERNS)),
    ],
  };
  const id = `log-${service ?? "all"}-${i}`;
  const base = { ...common(id, rng, `{{ labels.service }}: {{ message }}`), event: "log", match, keyBy: rng.pick([["service"], ["source"]]) };
  if (rng.chance(0.3)) return { ...base, kind: "threshold", when: { all: [leaf("level", "equal", levels[0])] } };
  const aggregate = rng.pick(["count", "rate"] as const);
  return {
    ...base,
    kind: "window",
    window: rng.pick(["1m", "5m"]),
    aggregate,
    when: { all: [leaf("value", "greaterThan", aggregate === "count" ? 3 + rng.int(10) : 0.05)] },
  };
}

function absenceRule(i: number, world: World, rng: Rng): RuleJson {
  const spec = rng.chance(0.6) ? (world.commonMetrics.find((m) => m.shape === "heartbeat") as MetricSpec) : rng.pick(world.metrics);
  const service = rng.chance(0.7) ? rng.pick(world.servicesReporting(spec.name)) : undefined;
  const id = `absence-${spec.name.replaceAll("_", "-")}-${i}`;
  return {
    ...common(id, rng, `no ${spec.name} from {{ source }} since {{ lastSeen }}`),
    kind: "absence",
    event: "metric",
    match: metricMatch(spec.name, service),
    keyBy: ["source"],
    absentFor: rng.pick(["5m", "10m", "15m"]),
  };
}

/**
 * Rule `i` depends only on (seed, i): the 10-rule set is the start of the 1,000-rule set, and so on. Mix: 40%
 * metric thresholds (some with `for`, `up` rules with flapping), 25% metric windows (avg/max/count/rate), 20% log
 * rules (level + `matches` regex, threshold or count/rate window), 15% absence.
 */
export function generateRules(world: World, count: number, seed: number): RuleJson[] {
  const rules: RuleJson[] = [];
  for (let i = 0; i < count; i++) {
    const rng = new Rng((seed * 2_654_435_761) ^ (i + 1));
    rng.next();
    const kind = rng.weighted([["threshold", 40], ["window", 25], ["log", 20], ["absence", 15]] as const);
    if (kind === "threshold") rules.push(thresholdRule(i, world, rng));
    else if (kind === "window") rules.push(metricWindowRule(i, world, rng));
    else if (kind === "log") rules.push(logRule(i, world, rng));
    else rules.push(absenceRule(i, world, rng));
  }
  return rules;
}

/**
 * Rules written for the rest of a larger organisation: the same kinds and metrics as `generateRules`, but every rule is
 * pinned to a service of another estate (`<service>@estate-<k>`, k = 1 for the first 1,000, and so on), whose events
 * are not in this stream. Held beside the estate's own rules they show what merely holding rules costs: a rule index
 * should route no event to them. Rule `i` here is rule `from + i` of `generateRules` moved elsewhere.
 */
export function rulesElsewhere(world: World, count: number, seed: number, from: number): RuleJson[] {
  return generateRules(world, from + count, seed)
    .slice(from)
    .map((rule, i) => {
      const estate = `estate-${1 + Math.floor(i / 1_000)}`;
      const match = rule.match as { all: RuleJson[] };
      const leaves = match.all.map((l) => (l.fact === "service" ? { ...l, value: `${String(l.value)}@${estate}` } : l));
      if (!leaves.some((l) => l.fact === "service")) leaves.unshift(leaf("service", "equal", `${world.services[i % world.services.length] as string}@${estate}`));
      return { ...rule, id: `${estate}-${String(rule.id)}`, match: { all: leaves } };
    });
}
