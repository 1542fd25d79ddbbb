import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { consoleRoutes, type ConsoleData } from "../../src/http/console-routes.js";
import type { GroupRecord } from "../../src/alerts/dispatcher.types.js";
import { JsonArrayBody } from "../../src/http/json-array-body.js";
import { CONSOLE_ASSETS_DIR } from "../../src/http/console/static-assets.js";
import { oncallRoutes } from "../../src/http/oncall-routes.js";
import { startHttpServer, type HttpApi } from "../../src/http/server.js";
import { TokenAuth } from "../../src/http/tokens.js";
import { FakeClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scheduleSchema, usersFileSchema } from "../../src/schedules/index.js";
import type { StoredPage } from "../../src/store/jetstream/escalation-store.js";

const TOKEN = "bobs-console-token-0123456789";
const auth = TokenAuth.fromText(`bob ${TOKEN}\n`, "tokens");

/** The core API is not under test here: any call to it is a mistake in the routing. */
const noCoreApi = new Proxy({} as HttpApi, {
  get: (_target, name) => () => {
    throw new Error(`core API ${String(name)} called`);
  },
});

const page = (id: string, incidentId: string, status: StoredPage["status"], dueAtMs: number): StoredPage => ({
  intent: { id, incidentId, round: 0, level: 0, user: "alice", channel: "sms", address: "+4915112345678", dueAtMs },
  status,
  ...(status === "sent" && { sentAtMs: dueAtMs + 5 }),
});

const data: ConsoleData = {
  groups: async () =>
    new JsonArrayBody<GroupRecord>(
      [{ id: "g1", routeId: "root", receiver: "db", groupLabels: { alertname: "db-down" }, fingerprints: ["fp1"], createdAtMs: 1, nextFlushAtMs: 2, hasFlushed: true, lastNotifiedAtMs: 2, notifiedFiring: ["fp1"], notifiedResolved: [], notificationCount: 1 }],
      (group) => group,
    ),
  pages: async () => [page("inc-2.r0l0.alice.sms", "inc-2", "scheduled", 300), page("inc-1.r0l0.alice.sms", "inc-1", "sent", 100)],
  // Says how many rows it was asked for, so the test sees what the route passed on.
  board: async (rows) => ({ groups: [], ungrouped: { firingCount: rows, oldestStartsAtMs: null, alerts: [] } }),
};

const roster = {
  users: usersFileSchema.parse({ version: 1, users: [{ id: "alice", name: "Alice Example", timeZone: "UTC", contacts: { phone: "+4915112345678" }, notificationRules: [{ channel: "sms", after: "0m" }] }] }).users,
  schedules: [scheduleSchema.parse({ id: "db-primary", version: 1, name: "DB", timeZone: "UTC", layers: [{ name: "l", rotation: { participants: ["alice"], start: "2026-01-01T00:00:00", shift: "1w" } }] })],
};

describe("console HTTP routes", () => {
  let server: { port: number; close(): Promise<void> };
  let base = "";
  const clock = new FakeClock(Date.parse("2026-03-10T12:00:00Z"));
  before(async () => {
    server = await startHttpServer(noCoreApi, auth, {
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
      routes: [...consoleRoutes(data), ...oncallRoutes({ roster: () => roster, clock })],
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  const withToken = { headers: { authorization: `Bearer ${TOKEN}` } };

  test("serves the console's files with their content types, a strict CSP, and cheap revalidation", async () => {
    const index = await fetch(`${base}/console/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get("content-type"), "text/html; charset=utf-8");
    const csp = index.headers.get("content-security-policy") ?? "";
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "form-action 'none'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(index.headers.get("x-content-type-options"), "nosniff");
    assert.equal(index.headers.get("cache-control"), "no-cache");
    assert.equal(await index.text(), await readFile(`${CONSOLE_ASSETS_DIR}/index.html`, "utf8"));

    const etag = index.headers.get("etag") ?? "";
    const again = await fetch(`${base}/console/`, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");

    for (const [path, type] of [
      ["app.js", "text/javascript; charset=utf-8"],
      ["views/alerts.js", "text/javascript; charset=utf-8"],
      ["console.css", "text/css; charset=utf-8"],
      ["favicon.svg", "image/svg+xml"],
    ]) {
      const response = await fetch(`${base}/console/${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("content-type"), type, path);
    }
  });

  test("serves nothing but the console's own files", async () => {
    for (const path of ["/console/nope.js", "/console/..%2f..%2fpackage.json", "/console/%2e%2e/%2e%2e/%2e%2e/package.json", "/console/static-assets.ts"]) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), /"dependencies"/);
    }
  });

  test("the root and /console lead to the console", async () => {
    for (const path of ["/", "/console"]) {
      const response = await fetch(`${base}${path}`, { redirect: "manual" });
      assert.equal(response.status, 302, path);
      assert.equal(response.headers.get("location"), "/console/");
    }
  });

  test("every data endpoint needs a token; whoami names the actor and never echoes the token", async () => {
    for (const path of ["/api/v1/whoami", "/api/v1/groups", "/api/v1/board", "/api/v1/pages", "/api/v1/oncall"]) {
      assert.equal((await fetch(`${base}${path}`)).status, 401, path);
      assert.equal((await fetch(`${base}${path}`, { headers: { authorization: "Bearer not-the-right-token-at-all" } })).status, 401, path);
    }
    const whoami = await fetch(`${base}/api/v1/whoami`, withToken);
    assert.equal(whoami.status, 200);
    assert.equal(whoami.headers.get("cache-control"), "no-store");
    const text = await whoami.text();
    assert.deepEqual(JSON.parse(text), { actor: "bob", features: [] }, "no demo outbox on a real engine");
    assert.ok(!text.includes(TOKEN));
  });

  test("groups as stored; pages per incident, in order, without the address", async () => {
    const groups = (await (await fetch(`${base}/api/v1/groups`, withToken)).json()) as Array<{ id: string; receiver: string }>;
    assert.deepEqual(groups.map((g) => [g.id, g.receiver]), [["g1", "db"]]);

    const all = (await (await fetch(`${base}/api/v1/pages`, withToken)).json()) as Array<Record<string, unknown>>;
    assert.deepEqual(all.map((p) => [p.incidentId, p.status]), [["inc-1", "sent"], ["inc-2", "scheduled"]]);
    assert.equal(all[0]?.sentAtMs, 105);
    assert.ok(!JSON.stringify(all).includes("+4915112345678"), "the phone number stays out");
    const one = (await (await fetch(`${base}/api/v1/pages?incident=inc-2`, withToken)).json()) as Array<Record<string, unknown>>;
    assert.deepEqual(one.map((p) => p.id), ["inc-2.r0l0.alice.sms"]);
  });

  test("the board: 50 rows per group unless asked, at most 1,000; a bad value or an unknown parameter is named", async () => {
    const rowsAsked = async (query: string): Promise<number | undefined> => ((await (await fetch(`${base}/api/v1/board${query}`, withToken)).json()) as { ungrouped: { firingCount: number } }).ungrouped.firingCount;
    assert.equal(await rowsAsked(""), 50);
    assert.equal(await rowsAsked("?rows=7"), 7);
    assert.equal(await rowsAsked("?rows=1000"), 1000);
    const issues = async (query: string): Promise<Array<{ path: string; message: string }>> => {
      const response = await fetch(`${base}/api/v1/board?${query}`, withToken);
      assert.equal(response.status, 400, query);
      return ((await response.json()) as { issues: Array<{ path: string; message: string }> }).issues;
    };
    for (const rows of ["0", "1001", "-3", "2.5", "lots"]) assert.deepEqual((await issues(`rows=${rows}`)).map((i) => i.path), ["rows"], rows);
    assert.match((await issues("row=5")).map((i) => i.message).join(), /"row"/, "an unknown parameter is named");
  });

  test("on call: defaults to the last day and the next week; from/to are checked and named when wrong", async () => {
    const overview = (await (await fetch(`${base}/api/v1/oncall`, withToken)).json()) as { fromMs: number; toMs: number; schedules: Array<{ id: string; now: { name: string } | null }> };
    assert.equal(overview.fromMs, clock.now() - 86_400_000);
    assert.equal(overview.toMs, clock.now() + 7 * 86_400_000);
    assert.deepEqual(overview.schedules.map((s) => [s.id, s.now?.name]), [["db-primary", "Alice Example"]]);

    const ranged = (await (await fetch(`${base}/api/v1/oncall?from=2026-03-01T00:00:00%2B01:00&to=${Date.parse("2026-03-02T00:00:00Z")}`, withToken)).json()) as { fromMs: number; toMs: number };
    assert.deepEqual([ranged.fromMs, ranged.toMs], [Date.parse("2026-02-28T23:00:00Z"), Date.parse("2026-03-02T00:00:00Z")]);

    const problems: Array<[string, string, RegExp]> = [
      ["from=yesterday", "from", /ISO 8601 with an offset/],
      ["from=2026-03-01T00:00:00", "from", /ISO 8601 with an offset/],
      ["from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to", /after "from"/],
      ["from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z", "to", /at most 93 days/],
      ["schedule=db-primary", "", /schedule/],
    ];
    for (const [search, path, message] of problems) {
      const response = await fetch(`${base}/api/v1/oncall?${search}`, withToken);
      assert.equal(response.status, 400, search);
      const body = (await response.json()) as { issues: Array<{ path: string; message: string }> };
      assert.equal(body.issues[0]?.path, path, search);
      assert.match(body.issues[0]?.message ?? "", message, search);
    }
  });

  test("an installation without the console's files says so instead of failing obscurely", async () => {
    const broken = await startHttpServer(noCoreApi, auth, { host: "127.0.0.1", port: 0, logger: silentLogger, routes: consoleRoutes(data, { assetsDir: "/nonexistent/klaxon-console" }) });
    try {
      const response = await fetch(`http://127.0.0.1:${broken.port}/console/`);
      assert.equal(response.status, 503);
      assert.match(((await response.json()) as { error: string }).error, /npm run build/);
    } finally {
      await broken.close();
    }
  });
});
