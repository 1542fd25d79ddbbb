import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { missingNodeFlags, RECOMMENDED_NODE_FLAGS } from "../../src/app/node-flags.js";

const ROOT = new URL("../../", import.meta.url);

/** The young generation's size after allocating 300 MB of short-lived objects, in a node started with `flags`. */
function youngGenerationMb(flags: readonly string[]): number {
  const script = `
    const v8 = require("node:v8");
    let sink;
    for (let i = 0; i < 3e6; i++) sink = { i, text: "x" + i, pair: [i, i + 1] };
    const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space");
    process.stdout.write(String(young.space_size / 1048576));`;
  return Number(execFileSync(process.execPath, [...flags, "-e", script], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } }));
}

describe("recommended node flags", () => {
  test("they cap the young generation, which V8 otherwise grows to 32 MiB under allocation", () => {
    const without = youngGenerationMb([]);
    const withFlags = youngGenerationMb(RECOMMENDED_NODE_FLAGS);
    assert.ok(withFlags <= 8, `young generation with ${RECOMMENDED_NODE_FLAGS.join(" ")}: ${withFlags} MiB`);
    assert.ok(without >= 2 * withFlags, `without them it grows further: ${without} MiB against ${withFlags} MiB`);
  });

  test("the Dockerfile and npm start run the engine with every one of them", () => {
    const dockerfile = readFileSync(new URL("Dockerfile", ROOT), "utf8");
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    assert.ok(entrypoint !== undefined, "the Dockerfile has an exec-form ENTRYPOINT");
    const args = JSON.parse(entrypoint) as string[];
    const start = (JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")) as { scripts: { start: string } }).scripts.start.split(/\s+/);
    for (const [what, command] of [["Dockerfile ENTRYPOINT", args], ["npm start", start]] as const) {
      const script = command.indexOf("dist/src/cli/main.js");
      assert.equal(command[0], "node", what);
      assert.ok(script > 0, `${what} runs the built CLI`);
      for (const flag of RECOMMENDED_NODE_FLAGS) assert.ok(command.slice(1, script).includes(flag), `${what} gives ${flag}: ${command.join(" ")}`);
    }
  });

  test("a process started without them is told which, whether they come on the command line or in NODE_OPTIONS", () => {
    assert.deepEqual(missingNodeFlags([], undefined), [...RECOMMENDED_NODE_FLAGS]);
    assert.deepEqual(missingNodeFlags(["--enable-source-maps"], "--trace-warnings"), [...RECOMMENDED_NODE_FLAGS]);
    assert.deepEqual(missingNodeFlags([...RECOMMENDED_NODE_FLAGS], undefined), []);
    assert.deepEqual(missingNodeFlags([], ` --enable-source-maps  ${RECOMMENDED_NODE_FLAGS.join(" ")} `), []);
    // Another value is the operator's choice, however spelt.
    assert.deepEqual(missingNodeFlags(["--max-semi-space-size=16"], undefined), []);
    assert.deepEqual(missingNodeFlags([], "--max_semi_space_size=2"), []);
    assert.deepEqual(missingNodeFlags(["--max-old-space-size=512"], undefined), [...RECOMMENDED_NODE_FLAGS]);
  });
});
