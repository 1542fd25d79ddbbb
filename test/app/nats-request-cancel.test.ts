import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RequestOne, type MuxSubscription } from "@nats-io/nats-core/internal";
import { RequestError, TimeoutError } from "@nats-io/transport-node";
import { connectUntilStopped } from "../../src/app/nats-connect.js";
import { shareCancelledRequestError } from "../../src/app/nats-request-cancel.js";
import { withNatsServer } from "../support/nats-server.js";

/** A request as nats.js makes one, on a mux that only counts what is cancelled. */
function newRequest(mux: { cancelled: number }): RequestOne {
  const fakeMux = { cancel: () => void mux.cancelled++ } as unknown as MuxSubscription;
  return new RequestOne(fakeMux, "klaxon.test", { timeout: 60_000 }, false);
}

async function rejectionOf(request: RequestOne): Promise<unknown> {
  return request.deferred.then(
    () => assert.fail("the request was answered"),
    (error: unknown) => error,
  );
}

describe("shareCancelledRequestError", () => {
  test("a cancel given no error rejects with one error made once; one given an error keeps it", async () => {
    shareCancelledRequestError();
    shareCancelledRequestError(); // idempotent: not wrapped twice
    const mux = { cancelled: 0 };
    const first = newRequest(mux);
    const second = newRequest(mux);
    const third = newRequest(mux);
    first.cancel();
    second.cancel();
    const given = new Error("connection closed");
    third.cancel(given);
    const [a, b, c] = await Promise.all([rejectionOf(first), rejectionOf(second), rejectionOf(third)]);
    assert.ok(a instanceof RequestError, `expected a RequestError, got ${String(a)}`);
    assert.equal(a.message, "cancelled");
    assert.equal(b, a, "each cancel made an error of its own");
    assert.equal(c, given);
    assert.equal(mux.cancelled, 3, "every request left the mux, as nats.js's cancel does");
  });

  test("requests are still answered, fail without responders and time out as before", async () => {
    await withNatsServer(async (server) => {
      const nc = await connectUntilStopped({ servers: server.url }, () => false, () => undefined);
      try {
        nc.subscribe("klaxon.echo", { callback: (_error, msg) => void msg.respond(msg.data) });
        nc.subscribe("klaxon.silent");
        await nc.flush();
        const answers = await Promise.all(["a", "b", "c"].map((text) => nc.request("klaxon.echo", text, { timeout: 5_000 })));
        assert.deepEqual(
          answers.map((m) => m.string()),
          ["a", "b", "c"],
        );
        const noResponders = await nc.request("klaxon.nobody", "x", { timeout: 5_000 }).then(
          () => assert.fail("answered without a responder"),
          (error: unknown) => error,
        );
        assert.ok(noResponders instanceof Error && noResponders.message !== "cancelled", `unexpected: ${String(noResponders)}`);
        await assert.rejects(nc.request("klaxon.silent", "x", { timeout: 200 }), TimeoutError);
      } finally {
        await nc.close();
      }
    });
  });
});
