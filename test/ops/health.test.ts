import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { NatsServerProcess } from "../support/nats-server.js";
import { eventually, rulesDir, testConfig } from "../support/engine.js";
import type { Engine } from "../../src/app/engine.js";
import { http, newEngine, sample, TOKEN, tokensFile } from "./support.js";
import { cpuHotRule } from "../support/rules.js";

describe("/healthz and /readyz tell the truth", () => {
  let server: NatsServerProcess;
  let engine: Engine;
  let starting: Promise<void>;

  before(async () => {
    server = await NatsServerProcess.start();
    // NATS is down when the engine starts: it must wait, alive and not ready.
    await server.kill();
  });
  after(async () => {
    await engine.crash();
    await server.stop();
  });

  const port = (): number => engine.httpPort as number;

  test("while NATS cannot be reached at start: alive, not ready (NATS, rules not in use, consumers not bound), API 503", async () => {
    engine = newEngine(testConfig(server.url, await rulesDir([cpuHotRule]), { http: { port: 0, tokensFile: await tokensFile() }, cluster: { instanceId: "health-1" }, heartbeat: { enabled: false }, drift: { enabled: false } }));
    starting = engine.start();
    await eventually("the HTTP server is up", () => engine.httpPort);

    const health = await http(port(), "GET", "/healthz");
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: "alive", instance: "health-1" });

    // Rules are read first ("not loaded yet" until then), then the engine waits for NATS: never ready meanwhile.
    const ready = await eventually("the engine waiting for NATS", async () => {
      const answer = await http(port(), "GET", "/readyz");
      assert.equal(answer.status, 503);
      return (answer.body.reasons as string[]).some((r) => r.startsWith("rules: 1 rule ")) ? answer : undefined;
    });
    assert.equal(ready.body.ready, false);
    const reasons = ready.body.reasons as string[];
    assert.ok(reasons.includes("nats: not connected yet (retrying)"), reasons.join("; "));
    assert.ok(reasons.some((r) => /^rules: 1 rule \(hash [0-9a-f]{12}\) read, not in use yet/.test(r)), reasons.join("; "));
    assert.ok(reasons.some((r) => r.startsWith("consumers: not bound")), reasons.join("; "));

    const api = await http(port(), "GET", "/api/v1/alerts", { token: TOKEN });
    assert.equal(api.status, 503);
    assert.match(String(api.body.error), /starting; see \/readyz/);
  });

  test("once NATS is there the engine finishes starting and is ready", async () => {
    await server.restart();
    await starting;
    const ready = await eventually("ready", async () => {
      const answer = await http(port(), "GET", "/readyz");
      return answer.status === 200 ? answer : undefined;
    });
    assert.deepEqual(ready.body.reasons, []);
    const checks = ready.body.checks as Record<string, { ok: boolean; detail: string }>;
    assert.equal(checks.nats?.detail, "connected");
    assert.match(checks.rules?.detail ?? "", /^1 rule .* loaded and in use$/);
    assert.match(checks.consumers?.detail ?? "", /^bound for .*coordinator.*evaluate/);
    assert.equal((await http(port(), "GET", "/api/v1/alerts", { token: TOKEN })).status, 200, "the API answers once the engine runs");
  });

  test("when NATS goes away: still alive, not ready, and ready again when it is back", async () => {
    await server.kill();
    const down = await eventually("not ready while NATS is down", async () => {
      const answer = await http(port(), "GET", "/readyz");
      return answer.status === 503 ? answer : undefined;
    });
    assert.ok((down.body.reasons as string[]).includes("nats: disconnected (reconnecting)"), JSON.stringify(down.body.reasons));
    assert.equal((await http(port(), "GET", "/healthz")).status, 200, "a NATS outage does not make the replica look dead");
    assert.equal(sample((await http(port(), "GET", "/metrics")).text, "klaxon_nats_connected"), 0);

    await server.restart();
    await eventually("ready again", async () => ((await http(port(), "GET", "/readyz")).status === 200 ? true : undefined), 20_000);
    const metrics = (await http(port(), "GET", "/metrics")).text;
    assert.equal(sample(metrics, "klaxon_nats_connected"), 1);
    assert.ok((sample(metrics, "klaxon_nats_reconnects_total") ?? 0) >= 1);
  });

  test("a durable consumer deleted under a running engine makes it not ready", async () => {
    const nc = await connect({ servers: server.url });
    await (await jetstreamManager(nc)).consumers.delete("KLAXON_ALERTS", "klaxon-alerts");
    await nc.close();
    const answer = await eventually("not ready without its consumer", async () => {
      const ready = await http(port(), "GET", "/readyz");
      return ready.status === 503 ? ready : undefined;
    }, 15_000);
    assert.deepEqual(answer.body.reasons, [`consumers: KLAXON_ALERTS/klaxon-alerts missing on the server (consumer not found)`]);
  });
});
