import { test } from "node:test";
import assert from "node:assert/strict";
import { routesTestCommand } from "../../src/cli/commands/routes-test.js";
import { capture } from "../support/output.js";


test("klaxon routes test prints the route, receiver, group and timings an alert would get", async () => {
  const io = capture();
  assert.equal(await routesTestCommand(["alertname=x", "team=api", "severity=warning", "service=search"], { rules: "rules" }, io), 0);
  assert.match(io.out.join("\n"), /api-tickets {2}\(route root\.0\.0\) group \{alertname="x", service="search"\} {2}wait 30s, interval 5m, repeat 1d, active only during berlin-office-hours/);
});

test("labels that match no child route fall back to the root receiver", async () => {
  const io = capture();
  assert.equal(await routesTestCommand(["alertname=cpu", "team=web"], { rules: "rules" }, io), 0);
  assert.match(io.out.join("\n"), /ops-oncall {2}\(route root\)/);
});

test("a malformed label pair is an error", async () => {
  const io = capture();
  assert.equal(await routesTestCommand(["team"], { rules: "rules" }, io), 1);
  assert.match(io.errors.join("\n"), /"team" is not label=value/);
});
