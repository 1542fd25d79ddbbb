import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, type ExecFileSyncOptions } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { client, eventually, metricEvent, publishEvent, rulesDir, startEngine, testConfig, useNatsServer } from "../support/engine.js";
import { FakeClock } from "../../src/core/clock.js";
import { alice, bob, dbDownRule, dbPolicy, writeJson } from "../support/oncall-fixtures.js";
import type { Engine } from "../../src/app/engine.js";
import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import { auditRecords } from "../support/audit-records.js";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "bobs-console-token-0123456789abcdef";
const SCREENSHOTS = join(process.cwd(), "test-results", "console");
const HOUR = 3_600_000;

/**
 * Debian's chromium, installed on the spot when it is missing and apt can install it (CI does this in .ci/run too).
 * The only reason to skip is a machine where neither is possible; the reason is printed.
 */
function chromiumOrSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const canApt = existsSync("/usr/bin/apt-get") && process.getuid?.() === 0;
  if (!canApt) return `${CHROMIUM} is missing and apt-get cannot install it here (needs Debian and root): the console's browser test is skipped`;
  const quiet: ExecFileSyncOptions = { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } };
  execFileSync("apt-get", ["update"], quiet);
  execFileSync("apt-get", ["install", "-y", "chromium"], quiet);
  return existsSync(CHROMIUM) ? undefined : `apt-get install chromium did not provide ${CHROMIUM}`;
}

async function consoleRules(nowMs: number): Promise<string> {
  const dir = await rulesDir([{ ...dbDownRule, labels: { team: "db" } }]);
  const write = (path: string, value: unknown): Promise<void> => writeJson(dir, path, value);
  await write("routes/routes.json", { version: 1, route: { receiver: "db", groupBy: ["alertname"], groupWait: "0s", groupInterval: "1m" }, receivers: [{ name: "db", policy: "db-policy" }] });
  await write("policies/db-policy.json", dbPolicy);
  await write("users/users.json", { version: 1, users: [{ ...alice, name: "Alice Example" }, { ...bob, name: "Bob Example" }] });
  // Alice has the week; Bob takes over by override from two hours from now, so "next" is Bob.
  await write("schedules/db-primary.json", {
    id: "db-primary",
    version: 1,
    name: "Database primary",
    timeZone: "Europe/Berlin",
    layers: [{ name: "weekly", rotation: { participants: ["alice"], start: "2026-01-05T09:00:00", shift: "1w" } }],
    overrides: [{ user: "bob", start: new Date(nowMs + 2 * HOUR).toISOString(), end: new Date(nowMs + 5 * HOUR).toISOString(), reason: "swap" }],
  });
  return dir;
}

const skipReason = chromiumOrSkipReason();
if (skipReason) console.log(`# SKIPPED: ${skipReason}`);

describe("web console in headless Chromium", { skip: skipReason ?? false }, () => {
  const nats = useNatsServer();
  const clock = new FakeClock(Date.now());
  let engine: Engine;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let browser: Browser;
  let page: Page;
  let base = "";
  let incidentId = "";
  let dir = "";
  /** Script errors and CSP violations in the page: the console must run clean under its own policy. */
  const pageProblems: string[] = [];
  const auth = { authorization: `Bearer ${TOKEN}` };

  const audit = async (action: string): Promise<Array<Record<string, unknown>>> =>
    (await auditRecords(js)).filter((r) => r.action === action);

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    dir = await consoleRules(clock.now());
    const tokens = join(await mkdtemp(join(tmpdir(), "klaxon-tokens-")), "tokens");
    await writeFile(tokens, `bob ${TOKEN}\n`);
    engine = await startEngine(testConfig(nats.current.url, dir, { http: { port: 0, tokensFile: tokens } }), clock);
    base = `http://127.0.0.1:${engine.httpPort}`;
    ({ nc, js } = await client(nats.current.url));

    await publishEvent(js, metricEvent("db-1", "db_up", 0, clock.now()));
    const [incident] = await eventually("an incident opens for db-1", async () => {
      const open = await engine.incidents.list();
      return open.length > 0 ? open : undefined;
    });
    incidentId = incident?.id as string;
    await eventually("alice's Slack page is recorded as sent", async () => {
      const pages = (await (await fetch(`${base}/api/v1/pages?incident=${incidentId}`, { headers: auth })).json()) as Array<{ channel: string; status: string }>;
      return pages.some((p) => p.channel === "slack" && p.status === "sent") ? true : undefined;
    });

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: "en-GB", timezoneId: "Europe/Berlin" });
    page.on("pageerror", (error) => pageProblems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") pageProblems.push(`console error: ${message.text()}`);
    });
  });

  after(async () => {
    await browser?.close();
    await nc?.close();
  });

  test("a request without a token gets 401; the console's page is public and holds no data", async () => {
    assert.equal((await fetch(`${base}/api/v1/whoami`)).status, 401);
    assert.equal((await fetch(`${base}/api/v1/alerts`)).status, 401);
    assert.equal((await fetch(`${base}/api/v1/oncall`)).status, 401);
    assert.equal((await fetch(`${base}/api/v1/incidents/${incidentId}/ack`, { method: "POST" })).status, 401);
    const html = await fetch(`${base}/console/`);
    assert.equal(html.status, 200);
    assert.doesNotMatch(await html.text(), /db-1|alice|bob|Bearer/i);
  });

  test("signing in: a wrong token is refused, the right one shows who is signed in and stays out of the page", async () => {
    await page.goto(`${base}/console/`);
    await page.locator("#token").fill("this-is-not-a-valid-token-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("The engine did not accept your token").waitFor();
    // Chromium logs the refused request itself; that one is expected, anything else is not.
    assert.deepEqual(pageProblems.splice(0).filter((problem) => !problem.includes("status of 401 (Unauthorized)")), []);

    await page.locator("#token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#actor", { hasText: "bob" }).waitFor();
    assert.equal(await page.locator("#token").inputValue(), "", "the field is emptied once read");
    assert.ok(!(await page.content()).includes(TOKEN), "the token is nowhere in the page");
    assert.equal(page.url(), `${base}/console/`, "the token never reaches a URL");
  });

  test("the board shows the group, who was paged; acknowledging changes it, audited as bob", async () => {
    const card = page.locator("article.card", { hasText: "db-down" });
    await card.waitFor();
    await card.locator(".badge.triggered").waitFor();
    const paged = await card.locator(".paged").innerText();
    assert.match(paged, /alice \(slack \d\d:\d\d, sms scheduled \d\d:\d\d\)/);
    assert.match(await card.innerText(), /to db · grouped by alertname="db-down"/);
    assert.match(await card.locator("li[data-fingerprint]").innerText(), /CRITICAL[\s\S]*db-down[\s\S]*db-1 is down[\s\S]*firing for/);
    await page.screenshot({ path: join(SCREENSHOTS, "alerts-before-ack.png"), fullPage: true });

    await card.getByRole("button", { name: "Acknowledge" }).click();
    await card.locator(".acked", { hasText: "Acknowledged by bob via http" }).waitFor();
    await card.locator(".badge.acknowledged").waitFor();
    assert.equal(await card.getByRole("button", { name: "Acknowledge" }).count(), 0, "nothing left to acknowledge");
    await page.getByText("Acknowledged “db-down: db-1 is down”").waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "alerts-acknowledged.png"), fullPage: true });

    const [incident] = await engine.incidents.list();
    assert.deepEqual([incident?.state, incident?.acknowledgedBy, incident?.acknowledgedVia], ["acknowledged", "bob", "http"]);
    const acks = await eventually("the acknowledgment is audited", async () => {
      const records = await audit("incident.acknowledged");
      return records.length > 0 ? records : undefined;
    });
    assert.deepEqual(acks.map((r) => [r.actor, r.subject]), [["bob", incidentId]]);

    // The same board on a phone, for the 3 a.m. case.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, colorScheme: "dark" });
    await phone.goto(`${base}/console/`);
    await phone.locator("#token").fill(TOKEN);
    await phone.getByRole("button", { name: "Sign in" }).click();
    await phone.locator("article.card", { hasText: "Acknowledged by bob" }).waitFor();
    await phone.screenshot({ path: join(SCREENSHOTS, "alerts-phone.png"), fullPage: true });
    await phone.close();
  });

  test("on call: who is on call now and next, with the shifts drawn on a timeline", async () => {
    await page.getByRole("link", { name: "On call" }).click();
    const card = page.locator("article.card[data-schedule=db-primary]");
    await card.waitFor();
    // Times on the viewer's clock (the page runs in Europe/Berlin); the engine's clock stood still since the start.
    // Like the console: the time alone on the viewer's today, with the day before it otherwise (a hand-off past midnight).
    const berlin = (options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat => new Intl.DateTimeFormat("en-GB", { ...options, timeZone: "Europe/Berlin" });
    const dayOf = (ms: number): string => berlin({ year: "numeric", month: "2-digit", day: "2-digit" }).format(ms);
    const handoffAt = clock.now() + 2 * HOUR;
    const handoff = dayOf(handoffAt) === dayOf(Date.now())
      ? berlin({ hour: "2-digit", minute: "2-digit" }).format(handoffAt)
      : berlin({ weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(handoffAt);
    assert.match(await card.locator(".oncall-now").innerText(), new RegExp(`^On call now: Alice Example until ${handoff} \\(in (2h|1h 5\\dm)\\)$`));
    assert.match(await card.locator(".oncall-next").innerText(), new RegExp(`^Next: Bob Example from ${handoff} \\(in (2h|1h 5\\dm)\\)$`));
    assert.ok((await card.locator("svg g.shift[data-user=alice] rect").count()) >= 1, "alice's shifts are drawn");
    assert.equal(await card.locator("svg g.shift[data-user=bob] rect").count(), 1, "bob's override is drawn");
    assert.equal(await card.locator("svg line.now").count(), 1, "now is marked");
    assert.match(await page.locator("#view").innerText(), /Times in your time zone, Europe\/Berlin/);
    await page.screenshot({ path: join(SCREENSHOTS, "oncall.png"), fullPage: true });
  });

  test("silences: create one from an alert's labels, see it mute the alert, expire it", async () => {
    await page.getByRole("link", { name: "Alerts" }).click();
    await page.locator("li[data-fingerprint]", { hasText: "db-down" }).getByRole("link", { name: "Silence…" }).click();
    const matchers = page.locator("#silence-matchers");
    await matchers.waitFor();
    assert.deepEqual((await matchers.inputValue()).split("\n").sort(), ['alertname="db-down"', 'severity="critical"', 'source="db-1"', 'team="db"']);
    await matchers.fill('alertname="db-down"\nsource="db-1"');
    await page.locator("#silence-duration").fill("1h");
    await page.locator("#silence-comment").fill("failing over the primary");
    await page.getByRole("button", { name: "Create silence" }).click();
    const row = page.locator("#silences tbody tr", { hasText: "failing over the primary" });
    await row.waitFor();
    assert.match(await row.innerText(), /ACTIVE[\s\S]*alertname="db-down"[\s\S]*source="db-1"[\s\S]*bob/);
    const [silence] = await engine.silences.list();
    assert.deepEqual([silence?.createdBy, silence?.state, silence?.endsAtMs], ["bob", "active", clock.now() + HOUR]);
    assert.deepEqual(silence?.matchers.map((m) => `${m.name}${m.op}${m.value}`), ["alertname=db-down", "source=db-1"]);
    const created = await eventually("the silence is audited", async () => {
      const records = await audit("silence.created");
      return records.length > 0 ? records : undefined;
    });
    assert.deepEqual(created.map((r) => [r.actor, r.subject]), [["bob", silence?.id]]);

    await page.getByRole("link", { name: "Alerts" }).click();
    await page.locator("li[data-fingerprint] .badge.muted", { hasText: "silenced" }).waitFor();

    await page.getByRole("link", { name: "Silences" }).click();
    await row.getByRole("button", { name: "Expire" }).click();
    await page.getByText("No active or pending silences.").waitFor();
    assert.equal((await engine.silences.list())[0]?.state, "expired");
    const expired = await eventually("the expiry is audited", async () => {
      const records = await audit("silence.expired");
      return records.length > 0 ? records : undefined;
    });
    assert.deepEqual(expired.map((r) => r.actor), ["bob"]);
  });

  test("an incident's timeline and the audit search", async (t) => {
    await page.goto(`${base}/console/#/timeline/${incidentId}`);
    const unavailable = page.locator("[data-unavailable]");
    const timeline = page.locator("#timeline");
    await Promise.race([unavailable.waitFor(), timeline.waitFor()]);
    if (await unavailable.count()) {
      t.skip("this engine does not serve GET /api/v1/timeline/<id> yet (the audit queries of issue #6): timeline and audit search not checked");
      return;
    }
    const actions = await timeline.locator("li").evaluateAll((items) => items.map((item) => item.getAttribute("data-action")));
    for (const action of ["incident.opened", "page.sent", "incident.acknowledged"]) assert.ok(actions.includes(action), `${action} in ${actions.join(", ")}`);
    assert.match(await timeline.innerText(), /Acknowledged by bob/);

    await page.getByRole("link", { name: "Audit" }).click();
    await page.locator("#audit-actor").fill("bob");
    await page.getByRole("button", { name: "Search" }).click();
    const table = page.locator("#audit-table");
    await table.waitFor();
    const rows = await table.locator("tbody tr").allInnerTexts();
    assert.ok(rows.length > 0 && rows.every((r) => /\bbob\b/.test(r)), `only bob's records: ${rows.join(" | ")}`);
    assert.ok(rows.some((r) => r.includes("incident.acknowledged")));
    await page.screenshot({ path: join(SCREENSHOTS, "audit.png"), fullPage: true });
  });

  test("the chart of alert volume and MTTA/MTTR", async (t) => {
    await page.goto(`${base}/console/#/charts?range=24h`);
    const unavailable = page.locator("[data-unavailable='GET /api/v1/audit']");
    const fired = page.locator("#stat-fired b");
    await Promise.race([unavailable.waitFor(), fired.waitFor()]);
    if (await unavailable.count()) {
      t.skip("this engine does not serve GET /api/v1/audit yet (the audit queries of issue #6): the chart is not checked");
      return;
    }
    assert.equal(await fired.innerText(), "1");
    assert.equal(await page.locator("#stat-incidents b").innerText(), "1");
    assert.notEqual(await page.locator("#stat-mtta b").innerText(), "–");
    assert.equal(await page.locator("svg rect.bar[data-value='1']").count(), 1, "one bar holds the one alert");
    assert.equal(await page.locator("svg circle.dot-mtta").count(), 1);
    await page.screenshot({ path: join(SCREENSHOTS, "charts.png"), fullPage: true });
  });

  test("resolving from the board closes the incident, audited as bob", async () => {
    await page.goto(`${base}/console/#/alerts`);
    const card = page.locator("article.card", { hasText: "db-down" });
    await card.getByRole("button", { name: "Resolve" }).click();
    await card.locator(".resolved", { hasText: "Resolved by bob via http" }).waitFor();
    const [incident] = await engine.incidents.list();
    assert.deepEqual([incident?.state, incident?.resolvedBy], ["resolved", "bob"]);
    const resolved = await eventually("the resolve is audited", async () => {
      const records = await audit("incident.resolved");
      return records.length > 0 ? records : undefined;
    });
    assert.deepEqual(resolved.map((r) => r.actor), ["bob"]);
  });

  test("on call follows a schedule reload; a rejected reload leaves the loaded schedules in force", async () => {
    const file = join(dir, "schedules", "db-primary.json");
    const schedule = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...schedule, version: 2, name: "Database primary (EU)", overrides: [] }));
    assert.equal((await engine.reloadRules("test")).ok, true);
    const names = async (): Promise<string[]> => {
      const overview = (await (await fetch(`${base}/api/v1/oncall`, { headers: auth })).json()) as { schedules: Array<{ name: string; next: unknown }> };
      return overview.schedules.map((s) => `${s.name}, next ${s.next === null ? "nobody" : "someone"}`);
    };
    assert.deepEqual(await names(), ["Database primary (EU), next nobody"]);

    await writeFile(file, JSON.stringify({ ...schedule, version: 3, name: "Broken", layers: [{ name: "weekly", rotation: { participants: ["nobody-known"], start: "2026-01-05T09:00:00", shift: "1w" } }] }));
    assert.equal((await engine.reloadRules("test")).ok, false);
    assert.deepEqual(await names(), ["Database primary (EU), next nobody"]);
  });

  test("the console ran without a script error or a Content-Security-Policy violation", () => {
    assert.deepEqual(pageProblems, []);
  });
});
