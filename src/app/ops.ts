import { TokenAuth } from "../http/tokens.js";
import { KvReplicaStore } from "../store/jetstream/replica-store.js";
import type { AlertSink } from "../store/ports.js";
import { LogControlSubject } from "./control-subject.js";
import type { ConfigSnapshot } from "./drift-compare.js";
import { summarize } from "./drift-compare.js";
import { DriftWatch } from "./drift-watch.js";
import { Heartbeat } from "./heartbeat.js";
import { engineConsumers, OpsPoller, type OpsPollerDeps } from "./ops-poller.js";
import type { Readiness } from "./readiness.js";
import type { EngineContext } from "./engine-context.js";

export interface OpsDeps extends EngineContext {
  replica: string;
  readiness: Readiness;
  alerts: AlertSink;
  audit: (action: string, details: Record<string, unknown>) => Promise<void>;
  /** What the engine runs now. */
  loaded: () => ConfigSnapshot;
  /** Runs a task where the engine's reloads run. */
  exclusive: <T>(task: () => Promise<T>) => Promise<T>;
  alertCounts: OpsPollerDeps["alertCounts"];
}

/**
 * The engine watching itself, started once it runs: consumer lag and alert counts for /metrics, the NATS control
 * subject for log levels, the heartbeat (event + replica record) and the drift watch. Each part can be switched off
 * in the config (`control`, `heartbeat`, `drift`).
 */
export class OpsServices {
  private constructor(
    private readonly poller: OpsPoller,
    private readonly control: LogControlSubject | undefined,
    private readonly heartbeat: Heartbeat | undefined,
    private readonly drift: DriftWatch | undefined,
  ) {}

  static async start(deps: OpsDeps): Promise<OpsServices> {
    const { config, logs, metrics, readiness } = deps;
    const poller = new OpsPoller({ jsm: deps.jsm, consumers: engineConsumers(config), metrics, readiness, logger: logs.logger("engine"), alertCounts: deps.alertCounts });
    poller.start();

    let control: LogControlSubject | undefined;
    if (config.control.enabled) {
      const auth = config.http.tokensFile ? TokenAuth.fromFile(config.http.tokensFile) : TokenAuth.none();
      control = new LogControlSubject({ nc: deps.nc, subject: `${config.control.subject}.log`, control: logs, auth, instance: deps.replica, logger: logs.logger("control") });
      control.start();
    }

    let heartbeat: Heartbeat | undefined;
    let drift: DriftWatch | undefined;
    if (config.heartbeat.enabled) {
      heartbeat = new Heartbeat({
        replica: deps.replica,
        js: deps.js,
        events: config.subjects.events,
        store: await KvReplicaStore.open(deps.nc, config.heartbeat.bucket, config.heartbeat.retainMs),
        settings: config.heartbeat,
        clock: deps.clock,
        logger: logs.logger("heartbeat"),
        metrics,
        ready: () => readiness.report().ready,
        config: () => summarize(deps.loaded()),
        drift: () => drift?.announced() ?? [],
      });
    }
    if (config.drift.enabled) {
      const beat = heartbeat;
      drift = new DriftWatch({
        replica: deps.replica,
        rulesDir: config.rulesDir,
        settings: config.drift,
        clock: deps.clock,
        logger: logs.logger("drift"),
        metrics,
        loaded: deps.loaded,
        exclusive: deps.exclusive,
        peers: beat ? () => beat.peers() : async () => [],
        alerts: deps.alerts,
        audit: deps.audit,
        announcedBefore: (await beat?.previous())?.drift ?? [],
        onAnnounced: async () => beat?.saveRecord().catch(() => undefined),
      });
    }
    await heartbeat?.start();
    drift?.start();
    return new OpsServices(poller, control, heartbeat, drift);
  }

  /** Everything stops at once (a crash must silence the heartbeat now); then waits for work in hand. */
  async stop(): Promise<void> {
    this.control?.stop();
    await Promise.all([this.drift?.stop(), this.heartbeat?.stop(), this.poller.stop()]);
  }
}
