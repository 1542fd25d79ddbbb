// Where the demo's NATS comes from: KLAXON_NATS_URL when set (checked before anything else starts), else a private
// nats-server on a free port, else (no nats-server installed, or KLAXON_DEMO_NATS=embedded) Klaxon's embedded
// in-memory NATS + JetStream server. The engine runs unchanged on any of them: it speaks the same client protocol.
import { accessSync, constants as fsConstants, statSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { AppError } from "../../src/core/errors.js";
import { EmbeddedNatsServer } from "../../src/store/embedded/index.js";
import { NatsServerProcess, resolveNatsServerBin } from "../../test/support/nats-server.js";

/** The demo cannot run: the message says why and what to do, for a person (no stack trace). */
export class DemoSetupError extends AppError {}

export interface DemoNats {
  url: string;
  /** How the demo got it, for the header it prints. */
  description: string;
  stop(): Promise<void>;
}

const INSTALL_HINT = [
  "Install it (Debian/Ubuntu) and run the demo again:",
  "  sudo apt-get install -y nats-server",
  "or point the demo at a running nats-server started with JetStream (-js):",
  "  KLAXON_NATS_URL=nats://127.0.0.1:4222 npm run demo",
].join("\n");

export async function provideNats(env: NodeJS.ProcessEnv = process.env): Promise<DemoNats> {
  const given = env["KLAXON_NATS_URL"];
  if (given !== undefined && given !== "") {
    await checkReachable(given);
    return { url: given, description: `the NATS server at ${given} (KLAXON_NATS_URL)`, stop: async () => undefined };
  }
  if (env["KLAXON_DEMO_NATS"] === "embedded") return startEmbedded("KLAXON_DEMO_NATS=embedded");
  const bin = resolveNatsServerBin();
  if (!isExecutable(bin)) return startEmbedded(`no nats-server found: ${bin} is not an executable file`);
  const server = await NatsServerProcess.start();
  return { url: server.url, description: `a private nats-server with JetStream at ${server.url} (data in ${server.storeDir}, removed on exit)`, stop: () => server.stop() };
}

/** The in-memory server: says plainly what it is, that nothing outlives the demo, and where production differs. */
async function startEmbedded(why: string): Promise<DemoNats> {
  const server = await EmbeddedNatsServer.start();
  return {
    url: server.url,
    description:
      `Klaxon's embedded in-memory NATS + JetStream at ${server.url} (${why}): nothing is kept after exit.\n` +
      `             Production runs on NATS JetStream: see README "Running the engine". For a real server here:\n` +
      `             sudo apt-get install -y nats-server, or KLAXON_NATS_URL=nats://host:4222 npm run demo`,
    stop: () => server.stop(),
  };
}

/** Connect once, without retrying, and ask for JetStream: the engine needs both and would otherwise wait in silence. */
async function checkReachable(url: string): Promise<void> {
  let nc;
  try {
    nc = await connect({ servers: url, reconnect: false, timeout: 3_000, name: "klaxon-demo-probe" });
  } catch (error) {
    throw new DemoSetupError(`No NATS is reachable at ${url} (KLAXON_NATS_URL): ${(error as Error).message}.\nStart it, or unset KLAXON_NATS_URL to let the demo start its own nats-server.\n${INSTALL_HINT}`, { cause: error });
  }
  try {
    let jsm;
    try {
      jsm = await jetstreamManager(nc, { timeout: 3_000 });
      await jsm.getAccountInfo();
    } catch (error) {
      throw new DemoSetupError(`The NATS server at ${url} (KLAXON_NATS_URL) answers but JetStream does not: ${(error as Error).message}. Start nats-server with -js.`, { cause: error });
    }
    const existing: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith("KLAXON_")) existing.push(name);
    // The demo publishes made-up events and pages under Klaxon's default names; on a server that already has them it
    // would mix with real data, and yesterday's alerts and incidents would change its story.
    if (existing.length > 0) {
      throw new DemoSetupError(`The NATS server at ${url} (KLAXON_NATS_URL) already holds Klaxon data (${existing.sort().join(", ")}). The demo needs a server of its own: unset KLAXON_NATS_URL to let it start one, or point it at an empty nats-server.`);
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
