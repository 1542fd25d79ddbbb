// Inventories and reports for the inventory tests, written as a user would write them.
import assert from "node:assert/strict";
import type { AlertTransition } from "../../src/alerts/alert.js";
import { eventSchema, normalizeEvent, type ChangeEvent, type StateEvent } from "../../src/ingest/event.schema.js";
import { buildInventory, parseInventoryFile, type Inventory } from "../../src/inventory/index.js";
import { T0, SECOND } from "../support/events.js";

/** An inventory from file contents (file name → JSON object); fails the test if any file is invalid. */
export function inventoryOf(files: Record<string, unknown>): Inventory {
  const parsed = Object.entries(files).map(([file, json]) => {
    const result = parseInventoryFile(file, JSON.stringify(json));
    assert.deepEqual(result.issues, [], `${file} should be valid`);
    return result.parsed as NonNullable<typeof result.parsed>;
  });
  const built = buildInventory(parsed);
  assert.deepEqual(built.issues, []);
  return built.inventory;
}

/** checkout on web-1 and web-2 (version 2.4.1, every 5 minutes), and db-1 reporting about itself. */
export const fleet = {
  version: 3,
  defaults: { interval: "5m", changeWindow: "1h" },
  services: [{ name: "checkout", labels: { team: "api" }, facts: { version: "2.4.1", configHash: "c0ffee" }, hosts: ["web-1", "web-2"] }],
  hosts: [{ source: "db-1", facts: { os: "debian-12" }, interval: "10m" }],
};

export function state(source: string, facts: Record<string, string | number | boolean>, timeMs: number, service?: string): StateEvent {
  return normalizeEvent(eventSchema.parse({ type: "state", source, ...(service ? { service } : {}), facts, time: timeMs })) as StateEvent;
}

export function change(source: string, timeMs: number, extra: { service?: string; who?: string; ticket?: string; what?: string } = {}): ChangeEvent {
  return normalizeEvent(eventSchema.parse({ type: "change", source, who: "alice", what: "deploy checkout 2.4.2", ticket: "CHG-1042", ...extra, time: timeMs })) as ChangeEvent;
}

const seconds = (ms: number): string => String((ms - T0) / SECOND);

/** "firing inventory-drift web-1/checkout version @60", "resolved inventory-missing web-2/checkout @300..420". */
export function lines(transitions: readonly AlertTransition[]): string[] {
  return transitions.map((t) => {
    const who = [t.labels.source, t.labels.service].filter(Boolean).join("/");
    const what = `${t.labels.alertname} ${who}${t.labels.fact ? ` ${t.labels.fact}` : ""}`;
    return t.status === "firing" ? `firing ${what} @${seconds(t.startsAtMs)}` : `resolved ${what} @${seconds(t.startsAtMs)}..${seconds(t.endsAtMs ?? NaN)}`;
  });
}
