import { jetstream, JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { systemClock, type Clock } from "../../core/clock.js";
import { AppError } from "../../core/errors.js";
import { formatDuration } from "../../core/duration.js";
import { fleetRows, type FleetRow } from "../../inventory/fleet.js";
import { readFleet } from "../../store/jetstream/inventory-store.js";
import { withNats, type ConnectionOptions } from "../connect.js";
import type { Output } from "../output.js";

export interface DriftOptions extends ConnectionOptions {
  service?: string;
  json?: boolean;
}

const HEADER = ["HOST", "SERVICE", "FACT", "EXPECTED", "ACTUAL", "LAST REPORT", "STATUS"];
/** Config hashes can be long: the table cuts cells, --json gives them whole. */
const MAX_CELL = 40;

/**
 * `klaxon drift [--service S] [--json]`: the fleet as the inventory stage last stored it (KV bucket
 * `state.inventoryBucket`): host, service, fact, expected, actual, last report and status.
 */
export async function driftCommand(options: DriftOptions, out: Output, clock: Clock = systemClock): Promise<number> {
  const fleet = await withNats(options, async (nc, config) => {
    try {
      return await readFleet(jetstream(nc), config.state.inventoryBucket);
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
        throw new AppError(`no inventory state yet (KV bucket "${config.state.inventoryBucket}" does not exist): start the engine with an inventory in rules/inventory/`);
      }
      throw error;
    }
  });
  const rows = fleetRows(fleet.members, fleet.unknowns, options.service === undefined ? {} : { service: options.service });
  if (options.json) {
    out.log(JSON.stringify(rows.map((r) => ({ ...r, lastReport: r.lastReportMs === null ? null : new Date(r.lastReportMs).toISOString() })), null, 2));
    return 0;
  }
  if (rows.length === 0) {
    out.log(options.service === undefined ? "the inventory lists nobody" : `nothing in the inventory runs service "${options.service}"`);
    return 0;
  }
  for (const line of table([HEADER, ...rows.map((r) => cells(r, clock.now()))])) out.log(line);
  return 0;
}

function cells(row: FleetRow, nowMs: number): string[] {
  const last = row.lastReportMs === null ? "never" : `${new Date(row.lastReportMs).toISOString().replace(/\.000Z$/, "Z")} (${formatDuration(Math.max(0, Math.floor((nowMs - row.lastReportMs) / 1_000) * 1_000))} ago)`;
  return [row.host, row.service ?? "-", row.fact ?? "-", cut(row.expected ?? "-"), cut(row.actual ?? "-"), last, row.status];
}

function cut(text: string): string {
  return text.length <= MAX_CELL ? text : `${text.slice(0, MAX_CELL - 1)}…`;
}

function table(lines: string[][]): string[] {
  const widths = (lines[0] as string[]).map((_, i) => Math.max(...lines.map((l) => (l[i] ?? "").length)));
  return lines.map((l) => l.map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i] as number))).join("  "));
}
