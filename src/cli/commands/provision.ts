import { hostname, userInfo } from "node:os";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { systemClock } from "../../core/clock.js";
import { applyProvisioning, declareResources, formatSetting, planProvisioning, type ProvisionChange } from "../../store/jetstream/provision.js";
import { JetStreamAuditSink } from "../../store/jetstream/sinks.js";
import { withNats, type ConnectionOptions } from "../connect.js";
import type { Output } from "../output.js";

export interface ProvisionOptions extends ConnectionOptions {
  dryRun?: boolean;
  author?: string;
}

/**
 * `klaxon provision [--dry-run]`: create the streams, consumers and buckets Klaxon declares and reconcile settings
 * changed by hand, as the engine does at start-up; every change is audited. `--dry-run` only says what it would do.
 * Exit 1 when a setting differs that JetStream cannot change on a live resource.
 */
export async function provisionCommand(options: ProvisionOptions, out: Output): Promise<number> {
  return withNats(options, async (nc, config) => {
    const jsm = await jetstreamManager(nc);
    const declarations = declareResources(config);
    const plan = await planProvisioning(jsm, declarations);
    const dry = options.dryRun === true;
    if (!dry) await applyProvisioning(jsm, declarations, plan);
    for (const change of plan) {
      if (change.action === "unchangeable") out.err(describeChange(change, dry));
      else out.log(describeChange(change, dry));
    }
    const count = (action: ProvisionChange["action"]): number => plan.filter((c) => c.action === action).length;
    const asDeclared = declarations.length - new Set(plan.map((c) => c.resource)).size;
    out.log(`${dry ? "dry run: nothing changed. " : ""}${asDeclared} of ${declarations.length} resource(s) as declared; ${count("created")} ${dry ? "to create" : "created"}, ${count("updated")} ${dry ? "to update" : "updated"}, ${count("unchangeable")} that JetStream cannot change`);
    if (!dry && plan.length > 0) {
      const actor = options.author ?? `${userInfo().username}@${hostname()}`;
      const audit = new JetStreamAuditSink(jetstream(nc), config.subjects.audit);
      for (const { action, ...change } of plan) {
        await audit.record({ action: `provision.${action}`, actor, timeMs: systemClock.now(), subject: change.resource, details: { ...change, via: "cli" } });
      }
    }
    return count("unchangeable") > 0 ? 1 : 0;
  });
}

function describeChange(change: ProvisionChange, dry: boolean): string {
  switch (change.action) {
    case "created":
      return `${dry ? "would create" : "created"} ${change.resource} (${Object.entries(change.settings).map(([field, value]) => `${field} ${formatSetting(field, value)}`).join(", ")})`;
    case "updated":
      return `${dry ? "would update" : "updated"} ${change.resource}: ${fieldChanges(change.changes)}`;
    case "unchangeable":
      return `cannot change ${change.resource}: ${fieldChanges(change.changes)}: ${change.reason}`;
  }
}

function fieldChanges(changes: ReadonlyArray<{ field: string; old: unknown; new: unknown }>): string {
  return changes.map((c) => `${c.field} ${formatSetting(c.field, c.old)} → ${formatSetting(c.field, c.new)}`).join(", ");
}
