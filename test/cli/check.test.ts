import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCommand } from "../../src/cli/commands/check.js";
import { capture } from "../support/output.js";


async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-check-"));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const good = {
  id: "cpu-hot",
  version: 1,
  kind: "threshold",
  event: "metric",
  match: { all: [{ fact: "name", operator: "equal", value: "cpu" }] },
  when: { all: [{ fact: "value", operator: "greaterThan", value: 90 }] },
  severity: "critical",
};

describe("klaxon check", () => {
  test("the shipped rules directory is valid", async () => {
    const io = capture();
    assert.equal(await checkCommand("rules", io), 0, io.errors.join("\n"));
    assert.match(io.out.join("\n"), /ok: 6 rule\(s\) and 5 test file\(s\)/);
  });

  test("--partitions: rules whose series span sources are refused, naming each file, as partitioned replicas would", async () => {
    const io = capture();
    assert.equal(await checkCommand("rules", io, "templates", 6), 1);
    const errors = io.errors.filter((line) => line.includes("keyBy must include"));
    assert.deepEqual(errors.map((line) => /rules\/alerts\/([\w-]+)\.json: keyBy/.exec(line)?.[1]).sort(), ["api-latency-high", "error-log-burst", "service-down"]);
  });

  test("routing mistakes are errors with the file and JSON path: unknown receiver, unknown interval, shadowed route, stray file", async () => {
    const routes = {
      version: 1,
      route: {
        receiver: "ops",
        routes: [
          { matchers: ['severity="critical"'], receiver: "pager" },
          { matchers: ['severity="critical"', 'team="db"'], receiver: "ops" },
          { matchers: ['team="api"'], receiver: "nobody", muteTimeIntervals: ["weekend"] },
        ],
      },
      receivers: [{ name: "ops" }, { name: "pager" }],
      timeIntervals: [{ name: "nights", timeZone: "Mars/Olympus", intervals: [{}] }],
    };
    const dir = await dirWith({ "alerts/good.json": JSON.stringify(good), "routes/routes.json": JSON.stringify(routes), "routes/extra.json": "{}" });
    const io = capture();
    assert.equal(await checkCommand(dir, io), 1);
    const text = io.errors.join("\n");
    assert.match(text, /routes\.json: route\.routes\[2\]\.receiver: .*"nobody"/);
    assert.match(text, /routes\.json: route\.routes\[2\]\.muteTimeIntervals\[0\]: .*"weekend"/);
    assert.match(text, /routes\.json: route\.routes\[1\]: .*(shadow|never be reached|unreachable)/i);
    assert.match(text, /extra\.json: \(root\): the routing tree lives in routes\/routes\.json alone/);
  });

  test("every error is listed with file, JSON path and message, and the exit code is 1", async () => {
    const dir = await dirWith({
      "alerts/good.json": JSON.stringify(good),
      "alerts/bad-operator.json": JSON.stringify({ ...good, id: "bad-op", when: { all: [{ fact: "value", operator: "biggerThan", value: 1 }] } }),
      "alerts/bad-duration.json": JSON.stringify({ ...good, id: "bad-for", for: "5 minutes" }),
      "alerts/syntax.json": '{ "id": "x",\n  "version": 1,,\n}',
      "alerts/dup.json": JSON.stringify(good),
      "alerts/placeholder.json": JSON.stringify({ ...good, id: "placeholder", annotations: { summary: "{{ vlaue }}" } }),
      "stray.json": "{}",
      "tests/broken.test.json": JSON.stringify({ rules: [], tests: [] }),
    });
    const io = capture();
    assert.equal(await checkCommand(dir, io), 1);
    const text = io.errors.join("\n");
    assert.match(text, /bad-operator\.json: when\.all\[0\]\.operator: .*biggerThan/);
    assert.match(text, /bad-duration\.json: for: invalid duration "5 minutes"/);
    assert.match(text, /syntax\.json: \(root\): invalid JSON \(line 2, column 16\)/);
    assert.match(text, /(dup|good)\.json: id: duplicate rule id "cpu-hot" \(also defined in .*(good|dup)\.json\)/);
    assert.match(text, /placeholder\.json: annotations\.summary: unknown placeholder \{\{ vlaue \}\}/);
    assert.match(text, /stray\.json: \(root\): not in a known folder/);
    assert.match(text, /broken\.test\.json: rules: /);
    assert.match(text, /broken\.test\.json: tests: /);
  });

  test("a rule that cannot be routed is accepted with a warning naming it", async () => {
    const dir = await dirWith({ "alerts/any.json": JSON.stringify({ ...good, match: { any: [{ fact: "name", operator: "equal", value: "cpu" }] } }) });
    const io = capture();
    assert.equal(await checkCommand(dir, io), 0);
    assert.match(io.errors.join("\n"), /warning: .*any\.json: match: rule "cpu-hot" is evaluated for every metric event/);
  });
});
