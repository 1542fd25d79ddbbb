/**
 * `npm run demo [-- --once --port N]`: the whole of Klaxon on this machine. Starts a private nats-server (or uses
 * KLAXON_NATS_URL, or without either the embedded in-memory server), local Slack, Twilio and SMTP stand-ins, and the engine with its console on the shipped rules/ with
 * on-call timings shortened; then tells a story (alerts fire, people are paged, nobody acknowledges, it escalates)
 * and prints each step as it happens. Runs until Ctrl-C; `--once` stops when the story is complete.
 */
import { parseArgs } from "node:util";
import { DemoSetupError } from "./demo/nats.js";
import { StoryStalledError } from "./demo/narrator.js";
import { startDemo, type RunningDemo } from "./demo/run.js";

const DEFAULT_PORT = 8080;

const { values } = parseArgs({
  options: {
    once: { type: "boolean", default: false },
    port: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("npm run demo [-- --once --port N]\n  --once    stop when the scripted story is complete\n  --port N  the console's port (default 8080; a free one when taken)");
  process.exit(0);
}
const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port: "${values.port}" is not a port number (0–65535)`);
  process.exit(2);
}

let demo: RunningDemo;
try {
  demo = await startDemo({ once: values.once, httpPort: port, print: (line) => console.log(line) });
} catch (error) {
  // A setup problem is told plainly; anything else is a bug and keeps its stack.
  console.error(error instanceof DemoSetupError ? error.message : error);
  process.exit(1);
}

let stopping: Promise<void> | undefined;
const stop = (code: number): Promise<void> =>
  (stopping ??= demo.stop().then(() => process.exit(code)));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping === undefined) console.log("\nStopping the engine, the stand-ins and NATS...");
    void stop(0);
  });
}

try {
  await demo.story;
  if (values.once) await stop(0);
} catch (error) {
  // While stopping, a beat cut short is expected, not news.
  if (stopping === undefined) console.error(error instanceof StoryStalledError ? `The demo stalled: ${error.message}.` : error);
  if (values.once) await stop(1);
}
