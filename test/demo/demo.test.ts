import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { startDemo, type RunningDemo } from "../../scripts/demo/run.js";
import type { OutboxEntry } from "../../scripts/demo/outbox.js";
import { NatsServerProcess } from "../support/nats-server.js";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { assertAlicePaged } from "./story-checks.js";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = join(process.cwd(), "test-results", "demo");
const run = promisify(execFile);

/** `npm run demo -- --once` as a newcomer runs it, with the given environment; never throws. */
async function runDemoScript(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/demo.ts", "--once", "--port", "0"], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** `npm run demo` until its output matches `until`, then Ctrl-C (SIGINT) as a person would; never throws. */
function runDemoUntil(env: NodeJS.ProcessEnv, until: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts", "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const deadline = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (until.test(stdout)) child.kill("SIGINT");
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("close", (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    });
  });
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function withoutNatsUrl(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env["KLAXON_NATS_URL"];
  return env;
}

describe("npm run demo without a NATS of its own", () => {
  test("no nats-server installed: runs on the embedded in-memory bus, says so, and stops cleanly on Ctrl-C", async () => {
    const result = await runDemoUntil(withoutNatsUrl({ NATS_SERVER_BIN: "/nonexistent/nats-server" }), / FIRING +error-log-burst/);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /NATS {7}Klaxon's embedded in-memory NATS \+ JetStream at nats:\/\/127\.0\.0\.1:\d+ \(no nats-server found: \/nonexistent\/nats-server is not an executable file\): nothing is kept after exit\./);
    assert.match(result.stdout, /apt-get install -y nats-server/, "and how to get a real one");
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  });

  test("KLAXON_NATS_URL pointing at nothing: names the URL instead of waiting for it forever", async () => {
    const url = `nats://127.0.0.1:${await closedPort()}`;
    const result = await runDemoScript({ ...process.env, KLAXON_NATS_URL: url });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`No NATS is reachable at ${url.replace(/[.]/g, "\\.")} \\(KLAXON_NATS_URL\\)`));
  });

  test("KLAXON_NATS_URL of a server that holds Klaxon data: refuses to mix made-up events into it", async () => {
    const server = await NatsServerProcess.start();
    try {
      const nc = await connect({ servers: server.url });
      await (await jetstreamManager(nc)).streams.add({ name: "KLAXON_EVENTS", subjects: ["events.>"] });
      await nc.close();
      const result = await runDemoScript({ ...process.env, KLAXON_NATS_URL: server.url });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /already holds Klaxon data \(KLAXON_EVENTS\)/);
      assert.equal(result.stdout, "");
    } finally {
      await server.stop();
    }
  });
});

describe("the demo story (--once), with its own nats-server and stand-ins", () => {
  const lines: string[] = [];
  let demo: RunningDemo;
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${demo.token}` });
  const outbox = async (headers: Record<string, string> = auth()): Promise<Response> => fetch(new URL("/api/v1/outbox", demo.consoleUrl), { headers });

  before(async () => {
    demo = await startDemo({ once: true, httpPort: 0, print: (line) => lines.push(line), env: withoutNatsUrl() });
  });
  after(async () => {
    await demo?.stop();
  });

  test("prints where to look first: the console URL with its token, and the outbox URL", () => {
    assert.match(demo.consoleUrl, /^http:\/\/127\.0\.0\.1:\d+\/console\/$/);
    const header = lines.slice(0, lines.findIndex((line) => line.startsWith("1. ")));
    assert.ok(header.some((line) => line.includes(`Console    ${demo.consoleUrl}`)), header.join("\n"));
    assert.ok(header.some((line) => line.includes(`Token      ${demo.token}`)), header.join("\n"));
    assert.ok(header.some((line) => line.includes(`Outbox     ${demo.consoleUrl}#/outbox`)), header.join("\n"));
  });

  test("a page reaches the Slack stand-in and an e-mail the SMTP stand-in, each printed as DELIVERED", async () => {
    await assertAlicePaged(demo, lines);
  });

  test("GET /api/v1/outbox lists what the stand-ins received, and only with the token", async () => {
    assert.equal((await outbox({})).status, 401);
    assert.equal((await outbox({ authorization: "Bearer not-the-demo-token-at-all" })).status, 401);
    const answer = await outbox();
    assert.equal(answer.status, 200);
    const entries = (await answer.json()) as OutboxEntry[];
    const slack = entries.find((e) => e.channel === "slack" && e.person === "alice" && e.text.includes("error-log-burst"));
    const mail = entries.find((e) => e.channel === "email" && e.person === "alice" && e.text.includes("error-log-burst"));
    assert.ok(slack, JSON.stringify(entries));
    assert.equal(slack.to, "D012ABCDEF");
    assert.ok(mail, JSON.stringify(entries));
    assert.equal(mail.to, "alice@example.com");
    assert.match(mail.body ?? "", /error-log-burst/);
    assert.ok(!JSON.stringify(entries).includes(demo.token), "the token is not echoed");
  });

  test("the console shows an Outbox view where the engine offers one, and hides it elsewhere", { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing` }, async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    const problems: string[] = [];
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 }, locale: "en-GB" });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console error: ${message.text()}`);
      });
      await page.goto(demo.consoleUrl);
      await page.locator("#token").fill(demo.token);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator("#nav[data-outbox=shown]").waitFor();
      const link = page.getByRole("link", { name: "Outbox" });
      await link.click();
      const slackRow = page.locator("#outbox tr[data-channel=slack]", { hasText: "error-log-burst" }).first();
      await slackRow.waitFor();
      assert.match(await slackRow.innerText(), /alice[\s\S]*D012ABCDEF[\s\S]*error-log-burst/);
      const mailRow = page.locator("#outbox tr[data-channel=email]", { hasText: "error-log-burst" }).first();
      await mailRow.locator("summary", { hasText: "Body" }).click();
      assert.match(await mailRow.locator("pre").innerText(), /error-log-burst/);
      await page.screenshot({ path: join(SCREENSHOTS, "outbox.png"), fullPage: true });

      // An engine that is not the demo lists no outbox among its features (no link) and has no such endpoint (the
      // view, reached by its address, says whose feature it is).
      await page.route("**/api/v1/whoami", (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ actor: "demo", features: [] }) }));
      await page.route("**/api/v1/outbox", (route) => route.fulfill({ status: 404, contentType: "application/json", body: JSON.stringify({ error: "no such endpoint: /api/v1/outbox" }) }));
      await page.reload();
      await page.locator("#nav[data-outbox=hidden]").waitFor();
      assert.equal(await page.locator("#nav-outbox").isHidden(), true);
      await page.locator("#view .unavailable", { hasText: "The outbox belongs to the demo" }).waitFor();
    } finally {
      await browser.close();
    }
    // Chromium logs each refused request itself; the interception's 404s are expected, anything else is not.
    assert.deepEqual(problems.filter((p) => !p.includes("404 (Not Found)")), []);
  });

  test("the story runs to the end: resolve, dead letter, a delayed SMS, escalation to level 2; the token printed once", async () => {
    await demo.story;
    const text = lines.join("\n");
    for (const mark of [/ FIRING +error-log-burst/, / NOTIFY +ops-oncall \(first\)/, / PAGE +alice via slack, level 1/, / RESOLVED +disk-almost-full/, / DEAD LETTER schema: /, / DELIVERED +sms to alice \(\+4915112345678\)/, / ESCALATED +error-log-burst: .* → level 2/, / PAGE +carol via slack, level 2/, / DELIVERED +slack to carol/]) {
      assert.match(text, mark);
    }
    assert.match(text, /The story is complete \(--once\): stopping\./);
    assert.equal(text.split(demo.token).length - 1, 1, "the throw-away token is printed exactly once");
    const sms = demo.standIns.twilio.messages.find((m) => m.to === "+4915112345678");
    assert.ok(sms, "the Twilio stand-in received Alice's SMS");
  });
});
