import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { testRulesCommand } from "../../src/cli/commands/test-rules.js";
import { capture } from "../support/output.js";


async function testFile(content: unknown): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "klaxon-ruletest-")), "case.test.json");
  await writeFile(file, JSON.stringify(content));
  return file;
}

const heartbeatRule = resolve("rules/alerts/heartbeat-missing.json");
const heartbeats = { at: "0s", every: "30s", repeat: 4, event: { type: "metric", source: "w-1", name: "heartbeat", value: 1 } };

describe("klaxon test", () => {
  test("the example rule tests shipped in rules/tests pass", async () => {
    const files = (await readdir("rules/tests")).map((f) => join("rules/tests", f));
    const io = capture();
    assert.equal(await testRulesCommand(files, io), 0, io.errors.join("\n"));
    assert.match(io.out.at(-1) ?? "", /^\d+ passed, 0 failed$/);
  });

  test("a wrong expectation fails with a readable diff: missing, unexpected and annotation differences", async () => {
    const file = await testFile({
      rules: [heartbeatRule],
      tests: [
        {
          name: "wrong on purpose",
          events: [heartbeats],
          expect: [
            { at: "3m29s", firing: [{ labels: { source: "w-1" } }] },
            { at: "3m30s", firing: [{ labels: { source: "w-1" }, annotations: { summary: "gone" } }] },
            { at: "3m31s", firing: [] },
          ],
        },
      ],
    });
    const io = capture();
    assert.equal(await testRulesCommand([file], io), 1);
    const text = io.errors.join("\n");
    assert.match(text, /FAIL .*case\.test\.json: wrong on purpose/);
    assert.match(text, /at 3m29s:\n\s+- expected firing, not found: \{source="w-1"\}/);
    assert.match(text, /at 3m30s:\n\s+~ annotations differ .*\n\s+summary: expected "gone", got "no heartbeat from w-1 since 2026-01-05T00:01:30.000Z"/);
    assert.match(text, /at 3m31s:\n\s+\+ firing, not expected: +\{alertname="heartbeat-missing", severity="critical", source="w-1"\}/);
    assert.match(io.out.at(-1) ?? "", /^0 passed, 1 failed$/);
  });

  test("a correct expectation passes", async () => {
    const file = await testFile({
      rules: [heartbeatRule],
      tests: [{ name: "fires at 3m30s", events: [heartbeats], expect: [{ at: "3m29s", firing: [] }, { at: "3m30s", firing: [{ labels: { source: "w-1" } }] }] }],
    });
    const io = capture();
    assert.equal(await testRulesCommand([file], io), 0, io.errors.join("\n"));
  });

  test("an invalid event in a test names the test file and the field", async () => {
    const file = await testFile({
      rules: [heartbeatRule],
      tests: [{ name: "bad event", events: [{ at: "0s", event: { type: "metric", source: "w-1", name: "heartbeat", value: "one" } }], expect: [{ at: "1m", firing: [] }] }],
    });
    const io = capture();
    assert.equal(await testRulesCommand([file], io), 1);
    assert.match(io.errors.join("\n"), /case\.test\.json: tests\[0\]\.events\[0\]\.event\.value: /);
  });

  test("a missing rule file is reported, not thrown", async () => {
    const file = await testFile({ rules: ["nope.json"], tests: [{ name: "x", expect: [{ at: "0s", firing: [] }] }] });
    const io = capture();
    assert.equal(await testRulesCommand([file], io), 1);
    assert.match(io.errors.join("\n"), /rules\[0\]: no such file or directory: nope\.json/);
  });
});
