import { readFileSync } from "node:fs";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/config.schema.js";

/** Where a command finds NATS: `--nats` (or KLAXON_NATS_URL) and `--config` (or KLAXON_CONFIG). */
export interface ConnectionOptions {
  nats?: string;
  config?: string;
}

/** Run `action` connected to the NATS the config points at (with its token file, if any); always closes. */
export async function withNats<T>(options: ConnectionOptions, action: (nc: NatsConnection, config: Config) => Promise<T>): Promise<T> {
  const config = await loadConfig({ ...(options.config ? { file: options.config } : {}), env: process.env, overrides: options.nats ? { nats: { servers: options.nats.split(",") } } : {} });
  const nc = await connect({ servers: config.nats.servers, ...(config.nats.tokenFile ? { token: readFileSync(config.nats.tokenFile, "utf8").trim() } : {}) });
  try {
    return await action(nc, config);
  } finally {
    await nc.close();
  }
}
