// Scratch: the 10k-rule drain on a server whose max_payload fits the engine.start audit entry.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { parseConfig } from "../src/config/index.js";
import { buildWorld, generateEvents, generateRules } from "./generate.js";
import { createEventsStream, prefill } from "./stream.js";
import { engineDrain } from "./rows/drain.js";
import { rawDrain } from "./rows/raw.js";
const N = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "exp10k-"));
writeFileSync(join(dir, "n.conf"), `port: 14333\nmax_payload: 4MB\njetstream { store_dir: "${dir}/js" }\n`);
const child = spawn("/usr/sbin/nats-server", ["-c", join(dir, "n.conf")], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 1000));
try {
  const url = "nats://127.0.0.1:14333";
  const config = parseConfig({ nats: { servers: [url] } });
  const nc = await connect({ servers: url });
  await createEventsStream(await jetstreamManager(nc), config);
  const world = buildWorld(42);
  const set = generateEvents(world, N, 42, Date.now());
  const { lastSeq } = await prefill(jetstream(nc), set.events);
  await nc.close();
  const raw = await rawDrain({ url, config, lastSeq, serverPid: child.pid, ackMode: "each" });
  console.log("raw", Math.round(raw.eventsPerSecond));
  const rules = generateRules(world, 10_000, 42);
  const row = await engineDrain({ url, rules, lastSeq, serverPid: child.pid, profileDir: process.argv[3], onProgress: console.log });
  console.log(JSON.stringify(row));
} finally { child.kill("SIGKILL"); }
process.exit(0);
