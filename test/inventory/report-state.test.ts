import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reportStateCommand } from "../../src/cli/commands/report-state.js";
import { capture } from "../support/output.js";

// Mistakes are reported before anything connects: no server is needed (and none is at this address).
const nats = "nats://127.0.0.1:1";

describe("klaxon report-state refuses bad input, naming the flag or file", () => {
  test("no facts at all", async () => {
    const io = capture();
    assert.equal(await reportStateCommand({ nats, source: "web-1" }, io), 1);
    assert.deepEqual(io.errors, ["error: klaxon report-state: (root): no facts: give --fact name=value (repeatable) or --facts-file FILE"]);
  });

  test("a --fact without '=' and a fact name that is not allowed", async () => {
    const io = capture();
    assert.equal(await reportStateCommand({ nats, source: "web-1", fact: ["version"] }, io), 1);
    assert.deepEqual(io.errors, ["error: --fact: version: expected name=value, e.g. --fact version=2.4.1"]);
    const named = capture();
    assert.equal(await reportStateCommand({ nats, source: "web-1", fact: ["9lives=x"] }, named), 1);
    assert.match(named.errors.join("\n"), /^error: state event: facts\.9lives: fact names start with a letter/);
  });

  test("a facts file that is not a JSON object, or holds a value that is not a scalar", async () => {
    const dir = await mkdtemp(join(tmpdir(), "klaxon-facts-"));
    const list = join(dir, "list.json");
    await writeFile(list, '["2.4.1"]');
    const io = capture();
    assert.equal(await reportStateCommand({ nats, source: "web-1", factsFile: list }, io), 1);
    assert.deepEqual(io.errors, [`error: ${list}: (root): expected a JSON object of facts, e.g. { "version": "2.4.1" }`]);
    const nested = join(dir, "nested.json");
    await writeFile(nested, '{ "version": { "major": 2 } }');
    const bad = capture();
    assert.equal(await reportStateCommand({ nats, source: "web-1", factsFile: nested }, bad), 1);
    assert.match(bad.errors.join("\n"), new RegExp(`^error: ${nested.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: facts\\.version: `));
  });

  test("a source that cannot be a subject token", async () => {
    const io = capture();
    assert.equal(await reportStateCommand({ nats, source: "web 1", fact: ["version=1"] }, io), 1);
    assert.match(io.errors.join("\n"), /^error: state event: source: only letters, digits/);
  });
});
