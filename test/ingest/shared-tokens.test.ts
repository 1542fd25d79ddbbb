import { test } from "node:test";
import assert from "node:assert/strict";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { decodeEvent, type Decoded } from "../../src/ingest/decode.js";
import { T0 } from "../support/events.js";

// String identity cannot be seen from JavaScript (=== compares values), so sharing is judged by what the kept events
// weigh: a full collection before each reading, through the gc function V8 hands out when asked.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const EVENTS = 20_000;
const encoder = new TextEncoder();

/** The heap bytes each of EVENTS decoded events adds while all are kept; `nameOf`/`serviceOf` give event i's tokens. */
function bytesPerKeptEvent(nameOf: (i: number) => string, serviceOf: (i: number) => string, type: "metric" | "log"): number {
  // The wire text is made first: only what decoding makes is measured.
  const wire = Array.from({ length: EVENTS }, (_, i) => {
    const common = { type, source: `host-${i}`, service: serviceOf(i), time: T0 };
    return encoder.encode(JSON.stringify(type === "metric" ? { ...common, name: nameOf(i), value: 1 } : { ...common, level: "error", message: "m" }));
  });
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const kept: Decoded[] = wire.map((data, i) => decodeEvent(data, `events.${type}.host-${i}`, "events", { maxEventBytes: 4096, maxFutureSkewMs: 60_000 }, T0));
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  assert.ok(kept.every((decoded) => decoded.ok), "every event decodes");
  return (after - before) / EVENTS;
}

test("decoded events share one copy of a recurring metric name and service instead of a copy each", () => {
  // Names and services of 40 characters: JSON.parse would give each event copies of 56 bytes apiece.
  const longName = "http_server_request_duration_seconds_sum";
  const longService = "checkout-payments-authorisation-service1";
  const recurring = bytesPerKeptEvent(() => longName, () => longService, "metric");
  const distinct = bytesPerKeptEvent((i) => `${longName.slice(0, 32)}_${String(i).padStart(7, "0")}`, (i) => `${longService.slice(0, 32)}-${String(i).padStart(7, "0")}`, "metric");
  assert.ok(distinct - recurring >= 90, `a recurring name and service should cost ~112 bytes less per event than distinct ones: ${recurring.toFixed(0)} against ${distinct.toFixed(0)} bytes`);
});

test("log events share their service too", () => {
  const longService = "checkout-payments-authorisation-service1";
  const recurring = bytesPerKeptEvent(() => "", () => longService, "log");
  const distinct = bytesPerKeptEvent(() => "", (i) => `${longService.slice(0, 32)}-${String(i).padStart(7, "0")}`, "log");
  assert.ok(distinct - recurring >= 45, `a recurring service should cost ~56 bytes less per event than distinct ones: ${recurring.toFixed(0)} against ${distinct.toFixed(0)} bytes`);
});
