import { NatsServerProcess } from "../test/support/nats-server.js";
import { rulesDir } from "../test/support/engine.js";
import { Engine } from "../src/app/engine.js";
import { parseConfig } from "../src/config/index.js";
import { createLogger } from "../src/core/logger.js";
import { buildWorld, generateRules } from "./generate.js";
const server = await NatsServerProcess.start();
try {
  const rules = generateRules(buildWorld(42), Number(process.argv[2] ?? 10000), 42);
  const dir = await rulesDir(rules);
  const config = parseConfig({ nats: { servers: [server.url] }, rulesDir: dir, watchRules: false, logLevel: "info" });
  const engine = new Engine({ config, logger: createLogger({ level: "info" }) });
  const t = performance.now();
  await Promise.race([engine.start(), new Promise((r) => setTimeout(r, 20000))]);
  console.log("start took", performance.now() - t);
  await engine.stop();
} finally { await server.stop(); }
