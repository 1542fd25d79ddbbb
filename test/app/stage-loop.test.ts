import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AckPolicy, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { StageLoop, type StageLoopOptions } from "../../src/app/stage-loop.js";
import type { Delivery } from "../../src/ingest/delivery-info.js";
import { silentLogger } from "../../src/core/logger.js";
import { client, useNatsServer } from "../support/engine.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A stream of `count` messages ("0", "1", ...) and a durable consumer on it; ack wait in ms. */
async function streamOf(nc: NatsConnection, js: JetStreamClient, name: string, count: number, ackWaitMs: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects: [`${name.toLowerCase()}.>`] });
  await jsm.consumers.add(name, { durable_name: "stage", ack_policy: AckPolicy.Explicit, ack_wait: ackWaitMs * 1_000_000 });
  for (let i = 0; i < count; i++) await js.publish(`${name.toLowerCase()}.m`, String(i));
}

interface StageUnderTest {
  nc: NatsConnection;
  js: JetStreamClient;
  loop: StageLoop;
  /** Start the stage on the stream with this handler. */
  start(handle: StageLoopOptions["handle"]): Promise<void>;
}

/** A stream of `count` messages, a stage loop to read it, and both cleaned up after `body`. */
async function withStage(url: string, stream: string, count: number, ackWaitMs: number, body: (stage: StageUnderTest) => Promise<void>): Promise<void> {
  const { nc, js } = await client(url);
  const loop = new StageLoop("test stage", silentLogger);
  try {
    await streamOf(nc, js, stream, count, ackWaitMs);
    const start = (handle: StageLoopOptions["handle"]): Promise<void> => loop.start(js, { stream, durable: "stage", batch: 50, tickIntervalMs: 60_000, handle, tick: () => undefined });
    await body({ nc, js, loop, start });
  } finally {
    await loop.stop();
    await nc.close();
  }
}

describe("StageLoop on a real nats-server", () => {
  const nats = useNatsServer();

  test("handles every message once, in stream order, whether its handler finishes at once or later", () =>
    withStage(nats.current.url, "ORDER", 300, 30_000, async ({ start }) => {
      const started: number[] = [];
      const finished: number[] = [];
      let running = 0;
      let overlapped = false;
      await start((m: JsMsg, delivery: Delivery) => {
        const n = Number(m.string());
        assert.equal(delivery.seq, n + 1, "the delivery's sequence is the message's");
        started.push(n);
        if (running > 0) overlapped = true;
        // Every third message finishes asynchronously: the next must wait for it.
        if (n % 3 !== 0) {
          finished.push(n);
          m.ack();
          return;
        }
        running++;
        return sleep(n % 2).then(() => {
          running--;
          finished.push(n);
          m.ack();
        });
      });
      await until("300 messages", () => finished.length === 300);
      const inOrder = Array.from({ length: 300 }, (_, i) => i);
      assert.deepEqual(started, inOrder, "started in stream order");
      assert.deepEqual(finished, inOrder, "finished in stream order");
      assert.equal(overlapped, false, "no handler started while another was running");
    }));

  test("a handler that throws neither stops the consumer nor acknowledges: its message comes again", () =>
    withStage(nats.current.url, "THROWS", 20, 1_000, async ({ start }) => {
      const handled: string[] = [];
      let thrown = 0;
      await start((m: JsMsg, delivery: Delivery) => {
        const n = Number(m.string());
        // Message 5 fails on its first delivery, synchronously; message 12 fails later, asynchronously.
        if (n === 5 && delivery.deliveryCount === 1) {
          thrown++;
          throw new Error("handler failed");
        }
        if (n === 12 && delivery.deliveryCount === 1) {
          thrown++;
          return Promise.reject(new Error("handler failed later"));
        }
        handled.push(`${n}/${delivery.deliveryCount}`);
        m.ack();
        return undefined;
      });
      await until("every message handled", () => handled.length === 20);
      assert.equal(thrown, 2);
      assert.ok(handled.includes("5/2") && handled.includes("12/2"), `the failed messages came again: ${handled.join(" ")}`);
      assert.ok(handled.includes("19/1"), "messages after a failure were still delivered");
    }));

  test("stop() lets the running handler finish and handles nothing more: the rest is left for redelivery", () =>
    withStage(nats.current.url, "STOPS", 200, 30_000, async ({ nc, loop, start }) => {
      let handled = 0;
      let inFlight = 0;
      await start((m: JsMsg) => {
        inFlight++;
        return sleep(5).then(() => {
          inFlight--;
          handled++;
          m.ack();
        });
      });
      await until("a few messages", () => handled >= 5);
      // The client has delivered more than the handler has taken: they wait in the stage's lane.
      await loop.stop();
      assert.equal(inFlight, 0, "stop waited for the handler running");
      const atStop = handled;
      await sleep(300);
      assert.equal(handled, atStop, "nothing handled after stop");
      assert.ok(atStop < 200, `stopped before the end of the stream (${atStop} handled)`);
      const info = await (await jetstreamManager(nc)).consumers.info("STOPS", "stage");
      assert.equal(info.num_ack_pending, 200 - atStop - info.num_pending, "what was not handled is left for redelivery");
    }));

  test("an iterator that ends on its own (the client gave up on it) is replaced: the stage goes on reading", () =>
    withStage(nats.current.url, "ENDS", 10, 1_000, async ({ nc, js, loop }) => {
      // The client ends a consume() iterator itself on a 400 from the server, a subscription error or a closed
      // subscription; here the test ends it the same way (stop with an error) through the iterators it hands out.
      const iterators: ConsumerMessages[] = [];
      const watched = watchConsume(js, iterators);
      const handled: number[] = [];
      await loop.start(watched, { stream: "ENDS", durable: "stage", batch: 50, tickIntervalMs: 60_000, tick: () => undefined, handle: (m) => {
        handled.push(Number(m.string()));
        m.ack();
      } });
      await until("the first ten", () => handled.length === 10);
      iterators[0]?.stop(new Error("the server answered 400"));
      for (let i = 10; i < 20; i++) await js.publish("ends.m", String(i));
      await until("the ten published after the iterator ended", () => handled.length === 20);
      assert.equal(iterators.length, 2, "one new iterator, on the same consumer");
      assert.deepEqual(handled, Array.from({ length: 20 }, (_, i) => i));
      const info = await (await jetstreamManager(nc)).consumers.info("ENDS", "stage");
      assert.equal(info.num_ack_pending + info.num_pending, 0, "everything acknowledged");
    }));
});

/** `js` whose consumers hand every consume() iterator to `iterators` as well. */
function watchConsume(js: JetStreamClient, iterators: ConsumerMessages[]): JetStreamClient {
  const consumers = new Proxy(js.consumers, {
    get(target, property, receiver) {
      if (property !== "get") return Reflect.get(target, property, receiver) as unknown;
      return async (...args: Parameters<typeof target.get>) => {
        const consumer = await target.get(...args);
        const consume = consumer.consume.bind(consumer);
        consumer.consume = async (options) => {
          const messages = await consume(options);
          iterators.push(messages);
          return messages;
        };
        return consumer;
      };
    },
  });
  return new Proxy(js, { get: (target, property, receiver) => (property === "consumers" ? consumers : (Reflect.get(target, property, receiver) as unknown)) });
}

describe("StageLoop: a consumer that stops being pulled", () => {
  const nats = useNatsServer();

  test("has messages and delivers none: its iterator is replaced, the stall audited, and every message handled", async () => {
    const { nc, js } = await client(nats.current.url);
    await streamOf(nc, js, "STALL", 20, 30_000);
    // The client's pull consumer with its pull requests switched off: what a pull lost in a server restart, with the
    // client's reset never run, looks like from here.
    const probe = await (await js.consumers.get("STALL", "stage")).consume({ max_messages: 1 });
    const iteratorClass = Object.getPrototypeOf(probe) as { pull: (...args: unknown[]) => void };
    // Not awaited: an iterator nobody reads settles its close only when read (its stop waits in its queue).
    void probe.close();
    const pull = iteratorClass.pull;
    iteratorClass.pull = () => undefined;
    const audited: Array<{ action: string; details: Record<string, unknown> }> = [];
    const handled = new Set<string>();
    const loop = new StageLoop("stalling stage", silentLogger);
    try {
      await loop.start(js, {
        stream: "STALL",
        durable: "stage",
        batch: 50,
        tickIntervalMs: 100,
        stallAfterMs: 1_000,
        tick: () => undefined,
        handle: (m) => {
          handled.add(m.string());
          m.ack();
        },
        recordAudit: async (action, details) => {
          audited.push({ action, details });
          // Seen: let the next iterator pull as it should.
          iteratorClass.pull = pull;
        },
      });
      await until("every message handled", () => handled.size === 20);
      const stall = audited.find((a) => a.action === "jetstream.consumer_stalled");
      assert.ok(stall, "the stall is in the audit trail");
      assert.equal(stall.details["pending"], 20);
      assert.equal(stall.details["waitingPulls"], 0);
    } finally {
      iteratorClass.pull = pull;
      await loop.stop();
      await nc.close();
    }
  });

  test("while its role's fence is closed it handles nothing and runs no tick; opened, it goes on; stopped, it lets go", async () => {
    const { nc, js } = await client(nats.current.url);
    let open = false;
    let wake: () => void = () => undefined;
    const fence = {
      isOpen: () => open,
      whenOpen: () => (open ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve))),
    };
    const loop = new StageLoop("fenced stage", silentLogger);
    const handled: number[] = [];
    let ticks = 0;
    try {
      // What the stage took and left while closed comes again after the ack wait: a short one.
      await streamOf(nc, js, "FENCED", 20, 1_000);
      await loop.start(js, {
        stream: "FENCED",
        durable: "stage",
        batch: 50,
        tickIntervalMs: 20,
        fence,
        tick: () => {
          ticks++;
        },
        handle: (m) => {
          handled.push(Number(m.string()));
          m.ack();
        },
      });
      await sleep(500);
      assert.deepEqual(handled, [], "nothing handled while closed (a replica that may have been presumed dead)");
      assert.equal(ticks, 0, "no tick while closed");
      open = true;
      wake();
      await until("every message handled once opened", () => handled.length === 20);
      assert.deepEqual(
        [...handled].sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i),
        "each handled once",
      );
      await until("ticks once opened", () => ticks > 0);

      // Closed again with a message waiting: stopping must not hang on the fence, and leaves the message unhandled.
      open = false;
      await js.publish("fenced.m", "20");
      await sleep(300);
      const stopped = loop.stop().then(() => "stopped");
      assert.equal(await Promise.race([stopped, sleep(5_000).then(() => "hung")]), "stopped");
      assert.equal(handled.length, 20, "the message taken while closed is left for redelivery");
    } finally {
      await loop.stop();
      await nc.close();
    }
  });
});
