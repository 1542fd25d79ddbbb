import { hostname } from "node:os";
import { Engine } from "../../app/engine.js";
import { HeapSoftLimit } from "../../app/heap-soft-limit.js";
import { missingNodeFlags } from "../../app/node-flags.js";
import { loadConfig } from "../../config/load.js";
import { createLogger } from "../../core/logger.js";

export interface RunOptions {
  config?: string;
  rules?: string;
  nats?: string;
  instance?: string;
  partitions?: string;
}

/** `klaxon run`: start the engine and keep it running until SIGINT/SIGTERM, then stop cleanly. */
export async function runCommand(options: RunOptions): Promise<number> {
  const config = await loadConfig({
    ...(options.config ? { file: options.config } : {}),
    env: process.env,
    overrides: {
      ...(options.rules ? { rulesDir: options.rules } : {}),
      ...(options.nats ? { nats: { servers: options.nats.split(",") } } : {}),
      ...(options.instance || options.partitions
        ? { cluster: { ...(options.instance ? { instanceId: options.instance } : {}), ...(options.partitions ? { partitions: Number(options.partitions) } : {}) } }
        : {}),
    },
  });
  const logger = createLogger({ level: config.logLevel });
  const missingFlags = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
  if (missingFlags.length > 0) logger.warn({ missingFlags }, "node started without the recommended flags: a storm's memory peaks higher (README, Running the engine)");
  const heapSoftLimit = new HeapSoftLimit(config.memory.heapSoftLimitMb, logger);
  heapSoftLimit.start();
  const engine = new Engine({ config, logger, actor: `engine@${config.cluster.instanceId ?? hostname()}:${process.pid}` });
  await engine.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, "stopping");
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await engine.stop();
  heapSoftLimit.stop();
  return 0;
}
