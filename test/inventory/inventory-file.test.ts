import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCommand } from "../../src/cli/commands/check.js";
import { loadInventory } from "../../src/inventory/loader.js";
import { capture } from "../support/output.js";

async function dirWith(files: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-inventory-"));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), typeof content === "string" ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

describe("inventory files", () => {
  test("members inherit the file's defaults and their service's labels and facts; a host entry overrides them", async () => {
    const dir = await dirWith({
      "inventory/web.json": {
        version: 7,
        defaults: { interval: "10m", changeWindow: "30m", severity: { drift: "critical" } },
        services: [{ name: "checkout", labels: { team: "api" }, facts: { version: "2.4.1", workers: 8 }, hosts: ["web-1", { source: "web-2", facts: { version: "2.5.0-canary" }, labels: { canary: "true" }, interval: "1m" }] }],
        hosts: [{ source: "web-1", facts: { os: "debian-12" } }],
      },
    });
    const { inventory, issues } = await loadInventory(dir);
    assert.deepEqual(issues, []);
    const byKey = Object.fromEntries(inventory.members.map((m) => [`${m.source}/${m.service ?? "-"}`, m]));
    assert.deepEqual(Object.keys(byKey).sort(), ["web-1/-", "web-1/checkout", "web-2/checkout"]);
    assert.deepEqual(byKey["web-1/checkout"]?.expected, { version: "2.4.1", workers: "8" });
    assert.deepEqual(byKey["web-2/checkout"]?.expected, { version: "2.5.0-canary", workers: "8" });
    assert.deepEqual(byKey["web-2/checkout"]?.labels, { team: "api", canary: "true" });
    assert.equal(byKey["web-2/checkout"]?.intervalMs, 60_000);
    assert.equal(byKey["web-1/checkout"]?.intervalMs, 600_000);
    assert.equal(byKey["web-1/-"]?.changeWindowMs, 1_800_000);
    assert.deepEqual(byKey["web-1/checkout"]?.severity, { missing: "critical", drift: "critical", unaudited: "warning" });
    assert.equal(inventory.version, 7);
  });

  test("klaxon check names the file and JSON path of every inventory mistake, across files", async () => {
    const dir = await dirWith({
      "inventory/a.json": {
        version: 1,
        services: [
          { name: "checkout", labels: { alertname: "x" }, hosts: ["web-1"] },
          { name: "search", hosts: [] },
        ],
        hosts: [{ source: "db-1", interval: "soon" }],
      },
      "inventory/b.json": {
        version: 1,
        services: [{ name: "checkout", hosts: [{ source: "web-1", colour: "blue" }] }],
        hosts: [{ source: "db-2" }, { source: "db-2", facts: { "bad name": "x" } }],
      },
    });
    const io = capture();
    assert.equal(await checkCommand(dir, io), 1);
    const text = io.errors.join("\n");
    const a = join(dir, "inventory", "a.json");
    const b = join(dir, "inventory", "b.json");
    assert.ok(text.includes(`${a}: services[1].hosts: a service needs at least one host`), text);
    assert.ok(text.includes(`${a}: hosts[0].interval: invalid duration "soon"`), text);
    assert.ok(text.includes(`${b}: services[0].hosts[0]: Unrecognized key: "colour"`), text);
    assert.ok(text.includes(`${b}: hosts[1].facts.bad name: fact names start with a letter`), text);
    // Cross-file checks need files that parse: fix b.json's shape errors and look again.
    await writeFile(b, JSON.stringify({ version: 1, services: [{ name: "checkout", hosts: ["web-1"] }], hosts: [{ source: "db-2" }, { source: "db-2" }] }));
    await writeFile(a, JSON.stringify({ version: 1, services: [{ name: "checkout", labels: { alertname: "x" }, hosts: ["web-1"] }] }));
    const again = capture();
    assert.equal(await checkCommand(dir, again), 1);
    const cross = again.errors.join("\n");
    assert.ok(cross.includes(`${a}: services[0].labels.alertname: "alertname" is set by the inventory alerts themselves`), cross);
    assert.ok(cross.includes(`${b}: services[0].name: service "checkout" is declared twice (also at ${a}: services[0])`), cross);
    assert.ok(cross.includes(`${b}: services[0].hosts[0]: web-1 (checkout) is listed twice (also at ${a}: services[0].hosts[0])`), cross);
    assert.ok(cross.includes(`${b}: hosts[1].source: db-2 is listed twice (also at ${b}: hosts[0].source)`), cross);
  });

  test("the shipped example inventory is valid and consistent with the demo rules' hosts", async () => {
    const io = capture();
    assert.equal(await checkCommand("rules", io), 0, io.errors.join("\n"));
    assert.match(io.out.join("\n"), /the inventory lists 6 member\(s\)/);
    const { inventory } = await loadInventory("rules");
    assert.deepEqual(inventory.members.map((m) => `${m.source}/${m.service ?? "-"}`).sort(), ["billing-worker-1/billing", "pod-7/orders", "web-1/-", "web-1/checkout", "web-2/-", "web-2/checkout"]);
  });

  test("no inventory folder is an empty inventory, not an error", async () => {
    const { inventory, issues } = await loadInventory(await dirWith({ "alerts/none.json": "[]" }));
    assert.deepEqual([inventory.members, inventory.files, issues], [[], [], []]);
  });
});
