import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fleetRows, InventoryMonitor } from "../../src/inventory/index.js";
import { T0, at } from "../support/events.js";
import { fleet, inventoryOf, state } from "./fixtures.js";

describe("the fleet table behind klaxon drift", () => {
  test("one row per intended fact with its status; silent and never-reported members say so; unknown reporters come last", () => {
    const monitor = new InventoryMonitor(inventoryOf({ "fleet.json": fleet }), { changeGraceMs: 0 }, T0);
    monitor.applyState(state("web-1", { version: "2.4.0", configHash: "c0ffee" }, at(0), "checkout"));
    monitor.applyState(state("zz-9", { version: "1" }, at(10)));
    monitor.tick(at(301));
    const { members, unknowns } = monitor.takeChanges();
    const rows = fleetRows(members, unknowns).map((r) => [r.host, r.service ?? "-", r.fact ?? "-", r.expected ?? "-", r.actual ?? "-", r.lastReportMs === null ? "never" : String((r.lastReportMs - T0) / 1_000), r.status]);
    assert.deepEqual(rows, [
      ["db-1", "-", "os", "debian-12", "-", "never", "not yet reported"],
      ["web-1", "checkout", "configHash", "c0ffee", "c0ffee", "0", "missing"],
      ["web-1", "checkout", "version", "2.4.1", "2.4.0", "0", "missing, drift"],
      ["web-2", "checkout", "configHash", "c0ffee", "-", "never", "missing"],
      ["web-2", "checkout", "version", "2.4.1", "-", "never", "missing"],
      ["zz-9", "-", "-", "-", "-", "10", "unknown"],
    ]);
    assert.deepEqual(
      fleetRows(members, unknowns, { service: "checkout" }).map((r) => r.host),
      ["web-1", "web-1", "web-2", "web-2"],
    );
  });
});
