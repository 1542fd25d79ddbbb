import { test } from "node:test";
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { NatsServerProcess, NatsServerStartError, withNatsServer } from "./nats-server.js";

test("JetStream data written before kill() survives restart() on the same port and store dir", async () => {
  const server = await NatsServerProcess.start();
  try {
    const { port, storeDir } = server;
    const firstPid = server.pid;

    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "FAULTS", subjects: ["faults.>"] });
      const js = jetstream(nc);
      for (let i = 1; i <= 25; i++) {
        const ack = await js.publish(`faults.${i}`, JSON.stringify({ i }));
        assert.equal(ack.seq, i);
      }
    } finally {
      await nc.close();
    }

    await server.kill();
    assert.equal(server.running, false);

    await server.restart();
    assert.equal(server.running, true);
    assert.equal(server.port, port);
    assert.equal(server.storeDir, storeDir);
    if (process.env["KLAXON_TEST_NATS"] !== "embedded") assert.notEqual(server.pid, firstPid, "a new process"); // the embedded stand-in is no process

    const nc2 = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc2);
      const info = await jsm.streams.info("FAULTS");
      assert.equal(info.state.messages, 25);
      assert.equal(info.state.last_seq, 25);
      const last = await jsm.streams.getMessage("FAULTS", { seq: 25 });
      assert.deepEqual(last?.json(), { i: 25 });
      // The restarted server keeps accepting writes after the recovered data.
      const ack = await jetstream(nc2).publish("faults.26", "after restart");
      assert.equal(ack.seq, 26);
    } finally {
      await nc2.close();
    }
  } finally {
    await server.stop();
  }
});

test("servers started concurrently get different ports and store dirs, and both serve JetStream", async () => {
  const servers = await Promise.all([NatsServerProcess.start(), NatsServerProcess.start(), NatsServerProcess.start()]);
  try {
    assert.equal(new Set(servers.map((s) => s.port)).size, servers.length);
    assert.equal(new Set(servers.map((s) => s.storeDir)).size, servers.length);
    for (const server of servers) {
      assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
      const nc = await connect({ servers: server.url });
      try {
        const jsm = await jetstreamManager(nc);
        const info = await jsm.getAccountInfo();
        assert.equal(info.streams, 0);
      } finally {
        await nc.close();
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
});

test("stop() kills the server, removes its store dir and is idempotent", async () => {
  const server = await NatsServerProcess.start();
  assert.equal(existsSync(server.storeDir), true);
  await server.stop();
  assert.equal(server.running, false);
  assert.equal(existsSync(server.storeDir), false);
  await server.stop();
  await assert.rejects(connect({ servers: server.url, reconnect: false, timeout: 1_000 }));
  await assert.rejects(server.restart(), /after stop/);
});

// The embedded stand-in (KLAXON_TEST_NATS=embedded) has no process output to report.
test("start() on a taken port fails with the server's output, and cleans up its temp dir", { skip: process.env["KLAXON_TEST_NATS"] === "embedded" && "a nats-server process detail" }, async () => {
  await withNatsServer(async (occupant) => {
    // os.tmpdir() honours TMPDIR, so the failed server's temp store dir is created in (and must vanish from) ours.
    const scratch = await mkdtemp(join(tmpdir(), "klaxon-nats-test-"));
    const savedTmpdir = process.env["TMPDIR"];
    let error: unknown;
    try {
      process.env["TMPDIR"] = scratch;
      await NatsServerProcess.start({ port: occupant.port }).then(
        () => assert.fail("second server on the same port should not start"),
        (err: unknown) => (error = err),
      );
    } finally {
      if (savedTmpdir === undefined) delete process.env["TMPDIR"];
      else process.env["TMPDIR"] = savedTmpdir;
    }
    assert.deepEqual(await readdir(scratch), []);
    await rm(scratch, { recursive: true });
    if (!(error instanceof NatsServerStartError)) throw error;
    assert.equal(error.portInUse, true);
    assert.match(error.message, /exited during start-up/);
    assert.match(error.message, /address already in use/);
    assert.match(error.message, new RegExp(`-p ${occupant.port}`));
    // The occupant is unaffected.
    const nc = await connect({ servers: occupant.url });
    await nc.close();
  });
});
