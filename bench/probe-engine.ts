// The setup rows 4 and 5 share: a nats-server, the probe webhook, and an engine process with the generated rules plus
// the probe rule, routed to that webhook; torn down in reverse whatever the row does.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsServerProcess } from "../test/support/nats-server.js";
import { EngineProcess, writeRulesRepo } from "./engine-process.js";
import type { RuleJson } from "./generate.js";
import { PROBE_RULE, ProbeWebhook, probeRouting } from "./probes.js";

export interface ProbeEngine {
  /** A client of the row's own, for publishing and watching subjects. */
  nc: NatsConnection;
  webhook: ProbeWebhook;
  engine: EngineProcess;
  startupSeconds: number;
}

export async function withProbeEngine<T>(
  options: { rules: readonly RuleJson[]; route: Parameters<typeof probeRouting>[1]; clientName: string },
  row: (probe: ProbeEngine) => Promise<T>,
): Promise<T> {
  const server = await NatsServerProcess.start();
  const webhook = await ProbeWebhook.start();
  let nc: NatsConnection | undefined;
  const engine = await EngineProcess.start({
    nats: { servers: [server.url] },
    rulesDir: await writeRulesRepo([...options.rules, PROBE_RULE], { "routes/routes.json": probeRouting(webhook.url, options.route) }),
  });
  try {
    const startupSeconds = await engine.ready();
    nc = await connect({ servers: server.url, name: options.clientName });
    return await row({ nc, webhook, engine, startupSeconds });
  } finally {
    await nc?.close().catch(() => undefined);
    await engine.stop();
    await webhook.close();
    await server.stop();
  }
}
