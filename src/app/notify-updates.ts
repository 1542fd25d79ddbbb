import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import { Kvm, KvWatchInclude } from "@nats-io/kv";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { Incident } from "../escalate/incident.js";
import { scanKv } from "../store/jetstream/kv-scan.js";
import { Lane } from "./lane.js";
import type { Metrics } from "./metrics.js";
import { incidentStateKey, OPENING_STATE_KEY, purposeOfStateKey, type IncidentUpdate } from "./notify-messages.js";
import type { NotifyStore } from "./notify-store.js";
import { retryUntilDone } from "./retry.js";

const encoder = new TextEncoder();

export interface IncidentWatcherDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  escalationBucket: string;
  /** Where updates are published: `<pages prefix>.update`, read back by the notify stage's pages consumer. */
  subject: string;
  store: NotifyStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  isStopped: () => boolean;
}

/**
 * Turns incident state changes (acknowledged, resolved, escalated; made by the CLI, the HTTP API, Slack, SMS or the
 * escalation stage) into update messages on the pages stream. Level-triggered, so nothing is lost across restarts:
 * it watches the escalation bucket for changes and, at start, compares every incident with the last state it
 * announced (`announced.<incident>`), publishing what is missing. The message id `update.<incident>.<stateKey>`
 * makes JetStream drop the copies several replicas (or a restart) publish.
 */
export class IncidentWatcher {
  private readonly lane = new Lane();
  private stopWatch: (() => void) | undefined;

  constructor(private readonly deps: IncidentWatcherDeps) {}

  async start(): Promise<void> {
    const kv = await new Kvm(this.deps.nc).open(this.deps.escalationBucket);
    // Watch first, then scan: a change made between the two is seen by at least one of them.
    const watcher = await kv.watch({ key: "incident.>", include: KvWatchInclude.UpdatesOnly });
    this.stopWatch = () => watcher.stop();
    void (async () => {
      for await (const entry of watcher) {
        if (entry.operation !== "PUT") continue;
        const incident = entry.json<Incident>();
        void this.consider(incident);
      }
    })();
    const decoder = new TextDecoder();
    for (const record of await scanKv(this.deps.js, this.deps.escalationBucket, "incident.")) {
      void this.consider(JSON.parse(decoder.decode(record.value)) as Incident);
    }
  }

  stop(): void {
    this.stopWatch?.();
  }

  /** Wait until every change seen so far has been published (tests, graceful stop). */
  idle(): Promise<void> {
    return this.lane.idle();
  }

  private consider(incident: Incident): Promise<void> {
    return this.lane
      .run(async () => {
        const stateKey = incidentStateKey(incident);
        if (stateKey === OPENING_STATE_KEY || this.deps.isStopped()) return;
        const { store, js, subject, clock } = this.deps;
        if ((await store.announced(incident.id)) === stateKey) return;
        const update: IncidentUpdate = { version: 1, incidentId: incident.id, stateKey, purpose: purposeOfStateKey(stateKey), atMs: clock.now() };
        await retryUntilDone(
          () => js.publish(subject, encoder.encode(JSON.stringify(update)), { msgID: `update.${incident.id}.${stateKey}` }),
          () => this.deps.metrics.publishRetries.inc({ what: "incident_update" }),
          this.deps.isStopped,
        );
        await store.setAnnounced(incident.id, stateKey);
      })
      .catch((error: unknown) => {
        if (!this.deps.isStopped()) this.deps.logger.error({ err: error, incident: incident.id }, "could not publish an incident update; it is published again at the next start");
      });
  }
}
