import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock.js";
import { InventoryMonitor, type InventoryChanges } from "../../src/inventory/index.js";
import { EMPTY_INVENTORY } from "../../src/inventory/inventory.js";
import { MINUTE, SECOND, T0, at } from "../support/events.js";
import { change, fleet, inventoryOf, lines, state } from "./fixtures.js";

const GRACE = 30 * SECOND;
const ok = { version: "2.4.1", configHash: "c0ffee" };

function start(inventory = inventoryOf({ "fleet.json": fleet })): { clock: FakeClock; monitor: InventoryMonitor } {
  const clock = new FakeClock(T0);
  return { clock, monitor: new InventoryMonitor(inventory, { changeGraceMs: GRACE }, clock.now()) };
}

/** Every host of the fixture fleet reports its intended state at `t`. */
function allWell(monitor: InventoryMonitor, t: number): string[] {
  return lines([
    ...monitor.applyState(state("web-1", ok, t, "checkout")),
    ...monitor.applyState(state("web-2", ok, t, "checkout")),
    ...monitor.applyState(state("db-1", { os: "debian-12" }, t)),
  ]);
}

describe("inventory: missing", () => {
  test("a member that never reports is missing once its interval has passed since the inventory started, not before", () => {
    const { clock, monitor } = start();
    assert.deepEqual(monitor.applyState(state("web-1", ok, at(10), "checkout")), []);
    assert.deepEqual(lines(monitor.tick(clock.advance(5 * MINUTE - 1))), []);
    assert.deepEqual(lines(monitor.tick(clock.advance(1))), ["firing inventory-missing web-2/checkout @300"]);
    assert.deepEqual(lines(monitor.tick(clock.advance(MINUTE))), ["firing inventory-missing web-1/checkout @310"], "web-1 last reported at 10 s");
    assert.deepEqual(monitor.tick(clock.advance(MINUTE)), [], "each is announced once");
    assert.deepEqual(lines(monitor.tick(clock.advance(3 * MINUTE))), ["firing inventory-missing db-1 @600"], "db-1 has its own 10m interval");

    const [resolved] = monitor.applyState(state("web-2", ok, clock.advance(30 * SECOND), "checkout"));
    assert.deepEqual(lines(resolved ? [resolved] : []), ["resolved inventory-missing web-2/checkout @300..630"]);
  });

  test("a member that stops reporting is missing one interval after its last report; its labels and text say so", () => {
    const { clock, monitor } = start();
    allWell(monitor, at(0));
    for (let t = 60; t <= 240; t += 60) monitor.applyState(state("web-1", ok, at(t), "checkout"));
    clock.set(at(299));
    monitor.applyState(state("web-2", ok, at(299), "checkout"));
    monitor.applyState(state("db-1", { os: "debian-12" }, at(299)));
    assert.deepEqual(lines(monitor.tick(at(539))), []);
    const fired = monitor.tick(at(540));
    assert.deepEqual(lines(fired), ["firing inventory-missing web-1/checkout @540"]);
    assert.deepEqual(fired[0]?.labels, { team: "api", alertname: "inventory-missing", severity: "critical", source: "web-1", service: "checkout" });
    assert.match(fired[0]?.annotations.summary ?? "", /web-1 \(checkout\) has not reported its state since 2026-11-25T10:04:00.000Z \(expected every 5m\)/);
    assert.deepEqual(fired[0]?.rule, { id: "inventory-missing", version: 3 });
  });

  test("a report arriving after a silence no tick noticed records the silence as fired-then-resolved, at the right instants", () => {
    const { monitor } = start();
    allWell(monitor, at(0));
    assert.deepEqual(lines(monitor.applyState(state("web-1", ok, at(900), "checkout"))), [
      "firing inventory-missing web-1/checkout @300",
      "resolved inventory-missing web-1/checkout @300..900",
    ]);
  });
});

describe("inventory: unknown reporters", () => {
  test("a source the inventory does not list fires inventory-unknown once, and resolves when it goes quiet", () => {
    const { monitor } = start();
    allWell(monitor, at(0));
    const first = monitor.applyState(state("rogue-7", { version: "0.1" }, at(5)));
    assert.deepEqual(lines(first), ["firing inventory-unknown rogue-7 @5"]);
    assert.match(first[0]?.annotations.summary ?? "", /rogue-7 reports its state but is not in the inventory/);
    assert.deepEqual(monitor.applyState(state("rogue-7", { version: "0.1" }, at(65))), [], "still the same episode");
    const unknownOnly = (t: number): string[] => lines(monitor.tick(at(t))).filter((l) => l.includes("inventory-unknown"));
    assert.deepEqual(unknownOnly(364), []);
    assert.deepEqual(unknownOnly(365), ["resolved inventory-unknown rogue-7 @5..365"], "silent for the default interval (5m): gone");
  });

  test("a known host reporting a service it is not listed for is unknown too, naming the service", () => {
    const { monitor } = start();
    const fired = monitor.applyState(state("web-1", { version: "9" }, at(1), "payments"));
    assert.deepEqual(lines(fired), ["firing inventory-unknown web-1/payments @1"]);
    assert.match(fired[0]?.annotations.summary ?? "", /does not list web-1 for service payments/);
  });

  test("adding the reporter to the inventory resolves it and judges what it reported against its intended facts", () => {
    const { clock, monitor } = start();
    monitor.applyState(state("web-3", { version: "2.4.0", configHash: "c0ffee" }, at(5), "checkout"));
    const grown = inventoryOf({ "fleet.json": { ...fleet, version: 4, services: [{ ...fleet.services[0], hosts: ["web-1", "web-2", "web-3"] }] } });
    assert.deepEqual(lines(monitor.setInventory(grown, clock.advance(MINUTE))), ["resolved inventory-unknown web-3/checkout @5..60", "firing inventory-drift web-3/checkout version @60"]);
  });

  test("without any inventory file nobody is unknown", () => {
    const { monitor } = start(EMPTY_INVENTORY);
    assert.deepEqual(monitor.applyState(state("web-1", ok, at(1))), []);
    assert.deepEqual(monitor.tick(at(86_400)), []);
  });
});

describe("inventory: drift", () => {
  test("a fact that differs fires naming host, fact, expected and actual; a new wrong value is a new episode; matching again resolves", () => {
    const { monitor } = start();
    const drift = monitor.applyState(state("web-1", { version: "2.4.0", configHash: "c0ffee" }, at(10), "checkout"));
    assert.deepEqual(lines(drift), ["firing inventory-drift web-1/checkout version @10"]);
    const [alert] = drift;
    assert.equal(alert?.labels.fact, "version");
    assert.equal(alert?.labels.severity, "warning");
    assert.equal(alert?.annotations.host, "web-1");
    assert.equal(alert?.annotations.expected, "2.4.1");
    assert.equal(alert?.annotations.actual, "2.4.0");
    assert.equal(alert?.annotations.summary, 'web-1 (checkout): version is "2.4.0", expected "2.4.1"');

    assert.deepEqual(monitor.applyState(state("web-1", { version: "2.4.0" }, at(20), "checkout")), [], "unchanged: nothing new to say");
    const other = monitor.applyState(state("web-1", { version: "2.3.9" }, at(30), "checkout"));
    assert.deepEqual(lines(other), ["resolved inventory-drift web-1/checkout version @10..30", "firing inventory-drift web-1/checkout version @30"]);
    assert.equal(other[1]?.annotations.actual, "2.3.9");

    const fixed = monitor.applyState(state("web-1", { version: "2.4.1" }, at(40), "checkout"));
    assert.deepEqual(lines(fixed), ["resolved inventory-drift web-1/checkout version @30..40"]);
    assert.match(fixed[0]?.annotations.resolution ?? "", /version is "2.4.1" again/);
  });

  test("an intended fact the host never reports is drift with actual (not reported); numbers compare as text", () => {
    const { monitor } = start(inventoryOf({ "hosts.json": { version: 1, hosts: [{ source: "db-1", facts: { os: "debian-12", cores: 8 } }] } }));
    const fired = monitor.applyState(state("db-1", { os: "debian-12" }, at(1)));
    assert.deepEqual(lines(fired), ["firing inventory-drift db-1 cores @1"]);
    assert.equal(fired[0]?.annotations.actual, "(not reported)");
    assert.deepEqual(lines(monitor.applyState(state("db-1", { cores: 8 }, at(2)))), ["resolved inventory-drift db-1 cores @1..2"]);
  });

  test("changing the intended state re-judges the last report; removing a member resolves what it had announced", () => {
    const { monitor } = start();
    allWell(monitor, at(0));
    const bumped = inventoryOf({ "fleet.json": { ...fleet, version: 4, services: [{ ...fleet.services[0], facts: { ...ok, version: "2.5.0" } }] } });
    assert.deepEqual(lines(monitor.setInventory(bumped, at(60))), ["firing inventory-drift web-1/checkout version @60", "firing inventory-drift web-2/checkout version @60"]);
    const shrunk = inventoryOf({ "fleet.json": { ...fleet, version: 5, services: [{ ...fleet.services[0], facts: { ...ok, version: "2.5.0" }, hosts: ["web-1"] }] } });
    const removed = monitor.setInventory(shrunk, at(120));
    assert.deepEqual(lines(removed), ["resolved inventory-drift web-2/checkout version @60..120"]);
    assert.equal(removed[0]?.annotations.resolution, "removed from the inventory");
    assert.deepEqual(lines(monitor.applyState(state("web-2", ok, at(130), "checkout"))), ["firing inventory-unknown web-2/checkout @130"]);
  });
});

describe("inventory: unaudited changes", () => {
  test("a fact that changes with no change record in the window before it fires after the grace period", () => {
    const { monitor } = start();
    allWell(monitor, at(0));
    assert.deepEqual(monitor.applyState(state("db-1", { os: "debian-13" }, at(100))).length, 1, "drift fires at once");
    assert.deepEqual(lines(monitor.tick(at(129))), [], "waits the grace period for a record still in transit");
    const fired = monitor.tick(at(130));
    assert.deepEqual(lines(fired), ["firing unaudited-change db-1 os @100"]);
    assert.equal(fired[0]?.annotations.from, "debian-12");
    assert.equal(fired[0]?.annotations.to, "debian-13");
    assert.match(fired[0]?.annotations.summary ?? "", /db-1: os changed from "debian-12" to "debian-13" with no change record in the 1h before 2026-11-25T10:01:40.000Z/);
  });

  test("a change record within the window of the change covers it; one further away does not", () => {
    const { monitor } = start();
    allWell(monitor, at(0));
    assert.equal(monitor.applyChange(change("web-1", at(600))).recorded, true);
    monitor.applyChange(change("web-2", at(100)));
    monitor.applyState(state("web-1", { version: "2.4.2" }, at(1_200), "checkout"));
    monitor.applyState(state("web-2", { version: "2.4.2" }, at(1_200 + 3_600), "checkout"));
    const judged = monitor.tick(at(10_000)).filter((t) => t.labels.alertname === "unaudited-change");
    assert.deepEqual(lines(judged), ["firing unaudited-change web-2/checkout version @4800"], "web-1's record 10 minutes before covers it; web-2's is 78 minutes old");

    monitor.applyState(state("db-1", { os: "debian-13" }, at(20_000)));
    monitor.applyChange(change("db-1", at(20_010)));
    monitor.applyState(state("db-1", { os: "debian-14" }, at(30_000)));
    monitor.applyChange(change("db-1", at(30_000 + 3_601)));
    const later = monitor.tick(at(40_000)).filter((t) => t.labels.alertname === "unaudited-change");
    assert.deepEqual(lines(later), ["firing unaudited-change db-1 os @30000"], "a record made just after the change (within the window) covers it; one made more than the window after does not");
  });

  test("a record naming another service does not cover a change; a record for the host covers all its services", () => {
    const inventory = inventoryOf({ "f.json": { version: 1, services: [{ name: "checkout", hosts: ["web-1"] }, { name: "search", hosts: ["web-1"] }] } });
    const { monitor } = start(inventory);
    monitor.applyState(state("web-1", { version: "1" }, at(0), "checkout"));
    monitor.applyState(state("web-1", { version: "7" }, at(0), "search"));
    monitor.applyChange(change("web-1", at(50), { service: "search" }));
    monitor.applyState(state("web-1", { version: "2" }, at(60), "checkout"));
    monitor.applyState(state("web-1", { version: "8" }, at(60), "search"));
    assert.deepEqual(lines(monitor.tick(at(120))), ["firing unaudited-change web-1/checkout version @60"]);
    assert.deepEqual(lines(monitor.applyChange(change("web-1", at(200))).transitions), ["resolved unaudited-change web-1/checkout version @60..200"], "recorded afterwards");
    monitor.applyState(state("web-1", { version: "3" }, at(210), "checkout"));
    monitor.applyState(state("web-1", { version: "9" }, at(210), "search"));
    assert.deepEqual(lines(monitor.tick(at(300))), [], "the host-wide record at 200 covers both services");
  });

  test("recording the change afterwards resolves the alert, naming who and the ticket; a redelivered record is not new", () => {
    const { monitor } = start();
    allWell(monitor, at(0));
    monitor.applyState(state("db-1", { os: "debian-13" }, at(100)));
    monitor.tick(at(200));
    const late = change("db-1", at(900), { who: "bob", ticket: "CHG-7", what: "dist-upgrade" });
    const { recorded, transitions } = monitor.applyChange(late);
    assert.equal(recorded, true);
    assert.deepEqual(lines(transitions), ["resolved unaudited-change db-1 os @100..900"]);
    assert.equal(transitions[0]?.annotations.resolution, "change recorded by bob (CHG-7): dist-upgrade");
    assert.deepEqual(monitor.applyChange(late), { recorded: false, transitions: [] });
  });

  test("the first value of a fact is a baseline, not a change", () => {
    const { monitor } = start();
    allWell(monitor, at(0));
    monitor.applyState(state("db-1", { kernel: "6.1" }, at(10)));
    assert.deepEqual(monitor.tick(at(100)), []);
  });
});

describe("inventory: state survives a restart", () => {
  /** What a store would hold after applying every change set in order. */
  function storeOf(changeSets: InventoryChanges[]) {
    const members = new Map<string, InventoryChanges["members"][number]>();
    const unknowns = new Map<string, InventoryChanges["unknowns"][number]>();
    const changes = new Map<string, InventoryChanges["changeLogs"][number]["records"]>();
    for (const set of changeSets) {
      for (const m of set.members) members.set(`${m.source}/${m.service}`, m);
      for (const d of set.deletedMembers) members.delete(`${d.source}/${d.service}`);
      for (const u of set.unknowns) unknowns.set(`${u.source}/${u.service}`, u);
      for (const d of set.deletedUnknowns) unknowns.delete(`${d.source}/${d.service}`);
      for (const log of set.changeLogs) changes.set(log.source, log.records);
    }
    return { members: [...members.values()], unknowns: [...unknowns.values()], changes: [...changes.values()].flat() };
  }

  test("silences keep counting from before the restart, announced alerts are not announced again, pending changes are still judged", () => {
    const inventory = inventoryOf({ "fleet.json": fleet });
    const first = new InventoryMonitor(inventory, { changeGraceMs: GRACE }, T0);
    const saved: InventoryChanges[] = [first.takeChanges()];
    allWell(first, at(0));
    first.applyState(state("web-1", { version: "2.4.0" }, at(60), "checkout"));
    first.applyState(state("rogue-1", {}, at(60)));
    saved.push(first.takeChanges());
    assert.deepEqual(first.takeChanges().members, [], "nothing changed since: nothing to write");

    const second = new InventoryMonitor(inventory, { changeGraceMs: GRACE }, at(200));
    assert.deepEqual(second.restore(storeOf(saved), at(200)), [], "drift and unknown were announced before: not again");
    assert.deepEqual(second.takeChanges().members, [], "the store already holds this state");
    assert.deepEqual(lines(second.tick(at(200))), ["firing unaudited-change web-1/checkout version @60"]);
    assert.deepEqual(lines(second.tick(at(300))), ["firing inventory-missing web-2/checkout @300"], "web-2 last reported at 0, before the restart");
    assert.deepEqual(lines(second.applyState(state("web-1", ok, at(310), "checkout"))), ["resolved inventory-drift web-1/checkout version @60..310"]);
  });

  test("an unknown reporter the inventory lists by the time of the restart becomes a member with what it reported", () => {
    const first = new InventoryMonitor(inventoryOf({ "fleet.json": fleet }), { changeGraceMs: GRACE }, T0);
    first.applyState(state("web-3", { version: "2.4.0", configHash: "c0ffee" }, at(10), "checkout"));
    const saved = storeOf([first.takeChanges()]);
    const grown = inventoryOf({ "fleet.json": { ...fleet, services: [{ ...fleet.services[0], hosts: ["web-1", "web-2", "web-3"] }] } });
    const second = new InventoryMonitor(grown, { changeGraceMs: GRACE }, at(100));
    assert.deepEqual(lines(second.restore(saved, at(100))), ["resolved inventory-unknown web-3/checkout @10..100", "firing inventory-drift web-3/checkout version @100"]);
    const written = second.takeChanges();
    assert.deepEqual(written.deletedUnknowns, [{ source: "web-3", service: "checkout" }]);
    assert.equal(written.members.find((m) => m.source === "web-3")?.lastReportMs, at(10));
  });
});
