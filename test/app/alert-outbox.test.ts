import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { AlertTransition } from "../../src/alerts/alert.js";
import { AlertOutbox } from "../../src/app/alert-outbox.js";
import { silentLogger } from "../../src/core/logger.js";
import type { AlertSink } from "../../src/store/ports.js";

const transition = (n: number): AlertTransition => ({
  status: "firing",
  fingerprint: `fp-${n}`,
  labels: { alertname: "a", n: String(n) },
  annotations: {},
  startsAtMs: n,
  rule: { id: "a", version: 1 },
});

/** A store whose answers the test gives, one publish at a time, in any order. */
class HeldSink implements AlertSink {
  readonly sent: string[] = [];
  private readonly answers = new Map<string, Array<{ ok: () => void; fail: (e: Error) => void }>>();

  publish(t: AlertTransition): Promise<void> {
    this.sent.push(t.fingerprint);
    return new Promise((ok, fail) => {
      const list = this.answers.get(t.fingerprint) ?? [];
      list.push({ ok, fail });
      this.answers.set(t.fingerprint, list);
    });
  }

  answer(fingerprint: string, error?: Error): void {
    const held = this.answers.get(fingerprint)?.shift();
    assert.ok(held, `nothing in flight for ${fingerprint}`);
    if (error) held.fail(error);
    else held.ok();
  }

  get inFlight(): number {
    return [...this.answers.values()].reduce((n, list) => n + list.length, 0);
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function outboxOn(sink: AlertSink, maxInFlight = 256) {
  const published: string[] = [];
  let retries = 0;
  // Backoffs asked for, each passing only when the test says so.
  const backoffs: Array<{ ms: number; pass: () => void }> = [];
  const wait = (ms: number): Promise<void> => new Promise((pass) => backoffs.push({ ms, pass }));
  const outbox = new AlertOutbox(sink, { logger: silentLogger, onRetry: () => retries++, onPublished: (t) => published.push(t.fingerprint), wait }, maxInFlight);
  return { outbox, published, retries: () => retries, backoffs };
}

describe("AlertOutbox", () => {
  test("a transition is sent when it comes, not after the answers to those before it", async () => {
    const sink = new HeldSink();
    const { outbox } = outboxOn(sink);
    void outbox.enqueue([transition(1), transition(2)]);
    void outbox.enqueue([transition(3)]);
    assert.deepEqual(sink.sent, ["fp-1", "fp-2", "fp-3"]);
  });

  test("callers learn of their transitions in the order they were enqueued, whatever order the answers come in", async () => {
    const sink = new HeldSink();
    const { outbox, published } = outboxOn(sink);
    const order: string[] = [];
    void outbox.enqueue([transition(1)]).then(() => order.push("first"));
    void outbox.enqueue([transition(2), transition(3)]).then(() => order.push("second"));
    sink.answer("fp-3");
    sink.answer("fp-2");
    await settle();
    assert.deepEqual(order, []);
    assert.equal(outbox.pending, 3);
    sink.answer("fp-1");
    await settle();
    assert.deepEqual(order, ["first", "second"]);
    assert.deepEqual(published, ["fp-1", "fp-2", "fp-3"]);
    assert.equal(outbox.pending, 0);
  });

  test("no more than maxInFlight await an answer; the next go as answers come", async () => {
    const sink = new HeldSink();
    const { outbox } = outboxOn(sink, 2);
    void outbox.enqueue([1, 2, 3, 4, 5].map(transition));
    assert.deepEqual(sink.sent, ["fp-1", "fp-2"]);
    sink.answer("fp-2");
    await settle();
    assert.deepEqual(sink.sent, ["fp-1", "fp-2", "fp-3"]);
    sink.answer("fp-1");
    await settle();
    assert.deepEqual(sink.sent, ["fp-1", "fp-2", "fp-3", "fp-4"]);
    assert.equal(sink.inFlight, 2);
  });

  test("a failed send is counted and sent again after a backoff; nothing after it is handed back first", async () => {
    const sink = new HeldSink();
    const { outbox, published, retries, backoffs } = outboxOn(sink);
    let done = false;
    void outbox.enqueue([transition(1), transition(2)]).then(() => (done = true));
    sink.answer("fp-1", new Error("timeout"));
    sink.answer("fp-2");
    await settle();
    assert.equal(retries(), 1);
    assert.deepEqual(published, []);
    assert.equal(backoffs.length, 1);
    assert.ok((backoffs[0]?.ms ?? 0) > 0, "a backoff, not an immediate resend");
    // While backing off, nothing is sent, new transitions included.
    void outbox.enqueue([transition(3)]);
    await settle();
    assert.deepEqual(sink.sent, ["fp-1", "fp-2"]);
    backoffs[0]?.pass();
    await settle();
    assert.deepEqual(sink.sent, ["fp-1", "fp-2", "fp-1", "fp-3"]);
    sink.answer("fp-1");
    await settle();
    assert.equal(done, true);
    assert.deepEqual(published, ["fp-1", "fp-2"]);
  });

  test("drained() waits for every answer", async () => {
    const sink = new HeldSink();
    const { outbox } = outboxOn(sink);
    await outbox.drained();
    void outbox.enqueue([transition(1), transition(2)]);
    let drained = false;
    void outbox.drained().then(() => (drained = true));
    sink.answer("fp-1");
    await settle();
    assert.equal(drained, false);
    sink.answer("fp-2");
    await settle();
    assert.equal(drained, true);
  });
});
