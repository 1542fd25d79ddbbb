import type { AlertTransition } from "../alerts/alert.js";
import type { Clock } from "../core/clock.js";
import { formatIssue, type ValidationIssue } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { loadRules } from "../rules/loader.js";
import { loadRouting } from "../rules/routing-loader.js";
import type { AlertSink } from "../store/ports.js";
import { loadDirectory } from "./directory-loader.js";
import {
  DRIFT_ALERTNAME,
  diskDifferences,
  peerDifferences,
  planDriftAlerts,
  summarize,
  type ConfigSnapshot,
  type ConfigSummary,
  type DiskConfig,
  type DriftAlert,
  type DriftFinding,
  type DriftState,
  type Loadable,
} from "./drift-compare.js";
import type { Metrics } from "./metrics.js";
import { retryUntilDone } from "./retry.js";

export interface DriftWatchDeps {
  replica: string;
  rulesDir: string;
  settings: { intervalMs: number; toleranceMs: number };
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** What the engine runs now. */
  loaded: () => ConfigSnapshot;
  /** Runs a task where reloads run, so a check never reads the disk halfway through a reload. */
  exclusive: <T>(task: () => Promise<T>) => Promise<T>;
  /** The other live replicas and what they run; undefined when that cannot be read now. */
  peers: () => Promise<Array<{ replica: string; summary: ConfigSummary }>>;
  alerts: AlertSink;
  audit: (action: string, details: Record<string, unknown>) => Promise<void>;
  /** Drift alerts this replica announced before a restart: still its to resolve. */
  announcedBefore: DriftAlert[];
  /** Called after the announced alerts changed, so the replica record carries them at once. */
  onAnnounced: () => Promise<void>;
}

function firstProblem(issues: readonly ValidationIssue[]): string {
  return `${formatIssue(issues[0] as ValidationIssue)}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`;
}

/** The rules directory as the engine would load it now, without loading it into the engine. */
export async function readRulesDirectory(rulesDir: string): Promise<DiskConfig> {
  const rules = await loadRules(rulesDir);
  const routing = await loadRouting(rulesDir);
  const ruleSet: DiskConfig["ruleSet"] = rules.issues.length > 0 ? { ok: false, problem: firstProblem(rules.issues) } : { ok: true, value: rules.ruleSet };
  if (routing.issues.length > 0 || !routing.loaded) {
    const problem = routing.issues.length > 0 ? firstProblem(routing.issues) : "not loaded";
    return { ruleSet, routing: { ok: false, problem }, oncall: { ok: false, problem: "not compared: the routing file does not load" } };
  }
  const directory = await loadDirectory(rulesDir, routing.loaded.routing);
  const oncall: Loadable<{ hash: string }> = directory.issues.length > 0 ? { ok: false, problem: firstProblem(directory.issues) } : { ok: true, value: { hash: directory.hash } };
  return { ruleSet, routing: { ok: true, value: { hash: routing.loaded.hash, version: routing.loaded.routing.version } }, oncall };
}

/**
 * Every `intervalMs`, compares what this replica runs with its rules directory (read, not loaded) and with what the
 * other live replicas run. A difference that lasts `toleranceMs` becomes a `KlaxonConfigDrift` alert, published
 * through the ordinary alert sink (so it is routed and pages like any other) and audited as `drift.detected`; when the
 * difference is gone the alert resolves and `drift.cleared` is audited.
 */
export class DriftWatch {
  private state: DriftState;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: DriftWatchDeps) {
    this.state = { announced: [...deps.announcedBefore], pendingSinceMs: {} };
  }

  start(): void {
    this.timer = setInterval(() => void this.checkOnce(), this.deps.settings.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.checking;
  }

  announced(): DriftAlert[] {
    return this.state.announced;
  }

  /** One comparison, unless one is still running (a slow disk must not pile them up). */
  checkOnce(): Promise<void> {
    this.checking ??= this.check()
      .catch((error: unknown) => {
        if (!this.stopped) this.deps.logger.warn({ err: String(error) }, "drift check failed; the next one tries again");
      })
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  private async check(): Promise<void> {
    const { deps } = this;
    const { loaded, disk } = await deps.exclusive(async () => ({ loaded: deps.loaded(), disk: await readRulesDirectory(deps.rulesDir) }));
    const peers = await deps.peers();
    const findings: DriftFinding[] = [
      { against: "disk", differences: diskDifferences(loaded, disk) },
      { against: "replicas", differences: peerDifferences(summarize(loaded), peers) },
    ];
    for (const finding of findings) deps.metrics.configDrift.set({ against: finding.against }, finding.differences.length > 0 ? 1 : 0);
    deps.logger.debug({ findings, peers: peers.map((p) => p.replica) }, "drift check");
    const nowMs = deps.clock.now();
    const plan = planDriftAlerts(this.state, findings, { replica: deps.replica, rulesDir: deps.rulesDir, nowMs, toleranceMs: deps.settings.toleranceMs });
    for (const alert of plan.resolve) {
      await this.publish(alert, { status: "resolved", endsAtMs: nowMs });
      deps.logger.info({ labels: alert.labels }, "configuration drift cleared");
      await deps.audit("drift.cleared", { replica: deps.replica, labels: alert.labels, startsAtMs: alert.startsAtMs });
    }
    for (const alert of plan.fire) {
      await this.publish(alert, { status: "firing" });
      deps.logger.warn({ labels: alert.labels, description: alert.annotations.description }, "configuration drift detected");
      await deps.audit("drift.detected", { replica: deps.replica, labels: alert.labels, summary: alert.annotations.summary, description: alert.annotations.description });
    }
    this.state = plan.state;
    if (plan.fire.length + plan.resolve.length > 0) await deps.onAnnounced();
  }

  private publish(alert: DriftAlert, change: { status: "firing" } | { status: "resolved"; endsAtMs: number }): Promise<void> {
    const transition: AlertTransition = {
      fingerprint: alert.fingerprint,
      labels: alert.labels,
      annotations: alert.annotations,
      startsAtMs: alert.startsAtMs,
      rule: { id: DRIFT_ALERTNAME, version: 1 },
      ...change,
    };
    return retryUntilDone(
      () => this.deps.alerts.publish(transition),
      () => this.deps.metrics.publishRetries.inc({ what: "drift_alert" }),
      () => this.stopped,
    );
  }
}
