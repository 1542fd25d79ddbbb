import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { JsonArrayBody } from "../../src/http/json-array-body.js";
import { startHttpServer, type HttpApi, type HttpRoute } from "../../src/http/server.js";
import { TokenAuth } from "../../src/http/tokens.js";
import { silentLogger } from "../../src/core/logger.js";

/** Serves `body` once per request and reports how many turns of the event loop other work got while it was written. */
async function serve<T>(body: () => JsonArrayBody<T>): Promise<{ url: string; turns: number[]; close(): Promise<void> }> {
  const turns: number[] = [];
  const server: Server = createServer((_request, response) => {
    let count = 0;
    let writing = true;
    const spin = (): void => {
      if (!writing) return;
      count++;
      setImmediate(spin);
    };
    setImmediate(spin);
    response.writeHead(200, { "content-type": "application/json" });
    void body()
      .writeTo(response)
      .finally(() => {
        writing = false;
        turns.push(count);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, turns, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The core API is not under test in the route test: any call to it is a mistake in the routing. */
const noApi = new Proxy({} as HttpApi, {
  get: (_target, name) => () => {
    throw new Error(`core API ${String(name)} called`);
  },
});

describe("JsonArrayBody", () => {
  test("writes what JSON.stringify writes, whatever the number of slices", async () => {
    for (const count of [0, 1, 999, 1_000, 2_500]) {
      const items = Array.from({ length: count }, (_, i) => ({ id: i, labels: { alertname: `a"${i}` } }));
      const served = await serve(() => new JsonArrayBody(items, (item) => ({ ...item, mutedBy: item.id % 2 === 0 ? [] : ["silence-1"] })));
      try {
        const text = await (await fetch(served.url)).text();
        assert.equal(text, JSON.stringify(items.map((item) => ({ ...item, mutedBy: item.id % 2 === 0 ? [] : ["silence-1"] }))), `${count} items`);
      } finally {
        await served.close();
      }
    }
  });

  test("JSON.stringify of the body (a caller that does not write it in slices) gives the same array", () => {
    assert.equal(JSON.stringify(new JsonArrayBody([1, 2, 3], (n) => ({ n: n * 2 }))), '[{"n":2},{"n":4},{"n":6}]');
  });

  test("an item with no JSON form is written as null, as JSON.stringify writes it in an array", async () => {
    const served = await serve(() => new JsonArrayBody([1, 2, 3], (n) => (n === 2 ? undefined : n)));
    try {
      assert.equal(await (await fetch(served.url)).text(), "[1,null,3]");
    } finally {
      await served.close();
    }
  });

  test("other work gets the event loop between slices: a long list does not hold the engine up", async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ id: i }));
    const served = await serve(() => new JsonArrayBody(items, (item) => item, 1_000));
    try {
      const list = (await (await fetch(served.url)).json()) as unknown[];
      assert.equal(list.length, 10_000);
      // Ten slices: the other work ran at least once between each two of them.
      assert.ok((served.turns[0] ?? 0) >= 9, `other work ran ${served.turns[0]} times while the list was written`);
    } finally {
      await served.close();
    }
  });

  test("the API answers a list in slices, and a failure half-way cuts the answer short without taking the server down", async () => {
    const TOKEN = "bobs-api-token-0123456789";
    const items = Array.from({ length: 3_000 }, (_, i) => i);
    let failAt = -1;
    const api = new Proxy({} as HttpApi, {
      get: (_target, name) =>
        name === "listAlerts"
          ? async () =>
              new JsonArrayBody(items, (i) => {
                if (i === failAt) throw new Error("broken alert");
                return { fingerprint: String(i) };
              })
          : () => {
              throw new Error(`core API ${String(name)} called`);
            },
    });
    const server = await startHttpServer(api, TokenAuth.fromText(`bob ${TOKEN}\n`, "tokens"), { host: "127.0.0.1", port: 0, logger: silentLogger });
    const get = (): Promise<Response> => fetch(`http://127.0.0.1:${server.port}/api/v1/alerts`, { headers: { authorization: `Bearer ${TOKEN}` } });
    try {
      const whole = await get();
      assert.equal(whole.headers.get("content-type"), "application/json");
      assert.deepEqual(await whole.json(), items.map((i) => ({ fingerprint: String(i) })));
      failAt = 2_500;
      await assert.rejects(async () => (await get()).text(), "the body is cut short, not completed as if nothing happened");
      failAt = -1;
      assert.equal(((await (await get()).json()) as unknown[]).length, 3_000, "the server still answers");
    } finally {
      await server.close();
    }
  });

  test("a route of a feature (the console's groups) answers in slices too, as its list is copied item by item", async () => {
    const TOKEN = "bobs-api-token-0123456789";
    // Each item notes how many turns of the event loop other work has had when the item is copied for writing.
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const route: HttpRoute = {
      method: "GET",
      pattern: /^\/api\/v1\/groups$/,
      auth: "token",
      handle: async () => ({ status: 200, body: new JsonArrayBody(Array.from({ length: 3_000 }, (_, i) => i), (i) => ({ id: i, turn: turns })) }),
    };
    const server = await startHttpServer(noApi, TokenAuth.fromText(`bob ${TOKEN}\n`, "tokens"), { host: "127.0.0.1", port: 0, logger: silentLogger, routes: [route] });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/api/v1/groups`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(response.headers.get("content-type"), "application/json");
      const groups = (await response.json()) as Array<{ id: number; turn: number }>;
      assert.deepEqual(
        groups.map((g) => g.id),
        Array.from({ length: 3_000 }, (_, i) => i),
      );
      const first = groups[0]?.turn ?? 0;
      const last = groups[2_999]?.turn ?? 0;
      assert.ok(last > first, `the last item was copied ${last - first} turns after the first: written in one piece`);
    } finally {
      spinning = false;
      await server.close();
    }
  });
});
