import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decideRetry } from "../../src/notify/retry-policy.js";
import { DeliveryError } from "../../src/notify/errors.js";
import { RateLimiter, type Timer } from "../../src/notify/rate-limiter.js";
import { fallbackChain } from "../../src/notify/fallback.js";

const settings = { baseMs: 1_000, maxMs: 8_000, maxAttempts: 5 };

/** A timer whose sleeps complete when the test moves time, recording who waited how long. */
class FakeTimer implements Timer {
  current = 0;
  readonly waits: number[] = [];
  now(): number {
    return this.current;
  }
  sleep(ms: number): Promise<void> {
    this.waits.push(ms);
    return Promise.resolve();
  }
}

describe("retry policy", () => {
  test("backs off exponentially with jitter between half and all of the step, capped", () => {
    const transient = new DeliveryError("email", "SMTP ECONNECTION", { retryable: true });
    assert.deepEqual([1, 2, 3, 4, 5].map((attempt) => decideRetry(transient, attempt, { ...settings, maxAttempts: 10 }, () => 0)), [
      { retry: true, delayMs: 500 },
      { retry: true, delayMs: 1_000 },
      { retry: true, delayMs: 2_000 },
      { retry: true, delayMs: 4_000 },
      { retry: true, delayMs: 4_000 },
    ]);
    assert.deepEqual(decideRetry(transient, 3, settings, () => 1), { retry: true, delayMs: 4_000 });
  });

  test("a permanent failure is not retried; retries stop after maxAttempts", () => {
    assert.deepEqual(decideRetry(new DeliveryError("sms", "Twilio answered HTTP 400 (error 21211)", { retryable: false }), 1, settings), { retry: false, reason: "permanent" });
    assert.deepEqual(decideRetry(new DeliveryError("sms", "HTTP 503", { retryable: true }), 5, settings), { retry: false, reason: "exhausted" });
  });

  test("Retry-After wins over the backoff; an unexpected error counts as transient", () => {
    assert.deepEqual(decideRetry(new DeliveryError("slack", "rate limited", { retryable: true, retryAfterMs: 30_000 }), 1, settings), { retry: true, delayMs: 30_000 });
    assert.equal(decideRetry(new TypeError("boom"), 1, settings, () => 0).retry, true);
  });
});

describe("rate limiter", () => {
  test("sends to one destination wait their turn in order, other destinations do not wait", async () => {
    const timer = new FakeTimer();
    const limiter = new RateLimiter(1_000, timer);
    await Promise.all([limiter.acquire("C1"), limiter.acquire("C1"), limiter.acquire("C1"), limiter.acquire("C2")]);
    assert.deepEqual(timer.waits, [1_000, 2_000], "the second and third sends to C1 wait 1 s and 2 s; C2 goes at once");
    timer.current = 10_000;
    await limiter.acquire("C1");
    assert.deepEqual(timer.waits, [1_000, 2_000], "after a quiet spell nobody waits");
  });

  test("a Retry-After pauses the destination for everyone queued behind it", async () => {
    const timer = new FakeTimer();
    const limiter = new RateLimiter(0, timer);
    limiter.pause("C1", 5_000);
    await limiter.acquire("C1");
    await limiter.acquire("C2");
    assert.deepEqual(timer.waits, [5_000]);
  });
});

describe("fallback chain", () => {
  const person = { contacts: { slack: "U1", email: "a@example.com", sms: "+4915112345678" }, notificationRules: [{ channel: "email" }, { channel: "slack" }] };

  test("continues after the failed channel in the person's own order, then their other contacts, wrapping around", () => {
    assert.deepEqual(fallbackChain(person, "email", []).map((c) => c.channel), ["slack", "sms"]);
    assert.deepEqual(fallbackChain(person, "sms", []).map((c) => c.channel), ["email", "slack"]);
    assert.deepEqual(fallbackChain(person, "slack", ["email"]), [{ channel: "sms", address: "+4915112345678" }]);
  });

  test("channels without a contact and channels already tried are skipped", () => {
    const emailOnly = { contacts: { email: "d@example.com", sms: undefined }, notificationRules: [{ channel: "email" }] };
    assert.deepEqual(fallbackChain(emailOnly, "email", []), []);
    assert.deepEqual(fallbackChain(person, "sms", ["email", "slack"]), []);
  });
});
