import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { Config } from "../config/config.schema.js";
import type { Clock } from "../core/clock.js";
import type { LogControl } from "./log-control.js";
import type { Metrics } from "./metrics.js";

/** What every part the engine wires together shares: its config, its NATS connection, time, logs and metrics. */
export interface EngineContext {
  config: Config;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  clock: Clock;
  logs: LogControl;
  metrics: Metrics;
}
