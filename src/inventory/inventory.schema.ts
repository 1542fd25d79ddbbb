import { z } from "zod";
import { durationSchema, positiveDurationSchema } from "../core/duration.js";
import { factsSchema, labels, token } from "../ingest/event.schema.js";
import { severitySchema } from "../rules/rule.schema.js";

/** Label names the inventory alerts set themselves: a member's labels may not overwrite them. */
export const RESERVED_LABELS = ["alertname", "severity", "source", "service", "fact"] as const;

/** What each kind of finding pages with, unless the file says otherwise. */
export const DEFAULT_SEVERITY = { missing: "critical", drift: "warning", unaudited: "warning", unknown: "warning" } as const;

const memberLabels = labels.refine((l) => Object.keys(l).length <= 32, "at most 32 labels");

/** Settings a service or host may override; unset ones come from the file's `defaults`. */
const overridable = {
  /** Report at least this often; silence for longer is "missing". */
  interval: positiveDurationSchema.optional(),
  /** A change record this long before a fact changed covers the change. */
  changeWindow: durationSchema.optional(),
  labels: memberLabels.optional(),
  /** The intended state: facts the member must report with exactly these values. */
  facts: factsSchema.optional(),
};

/** A host: a `source` reporting its own state (no service), or one host of a service. */
export const inventoryHostSchema = z.strictObject({ source: token, ...overridable });

/** A service and the hosts that run it: each reports with `service` set, and must match the service's facts. */
export const inventoryServiceSchema = z.strictObject({
  name: token,
  description: z.string().max(2_000).optional(),
  ...overridable,
  /** "web-1", or an object when one host differs (its own facts win over the service's). */
  hosts: z.array(z.union([token, inventoryHostSchema])).min(1, "a service needs at least one host"),
});

export const inventoryFileSchema = z.strictObject({
  /** Raise it with every change: alerts carry it, and the audit trail records it. */
  version: z.number().int().positive(),
  description: z.string().max(2_000).optional(),
  defaults: z
    .strictObject({
      interval: positiveDurationSchema.default(5 * 60_000),
      changeWindow: durationSchema.default(60 * 60_000),
      severity: z
        .strictObject({ missing: severitySchema.optional(), drift: severitySchema.optional(), unaudited: severitySchema.optional() })
        .prefault({}),
    })
    .prefault({}),
  services: z.array(inventoryServiceSchema).default([]),
  /** Hosts reporting their own state (the operating system, the kernel), without a service. */
  hosts: z.array(inventoryHostSchema).default([]),
});

export type InventoryFile = z.output<typeof inventoryFileSchema>;
export type InventoryHost = z.output<typeof inventoryHostSchema>;
export type FactValue = string | number | boolean;
export type Severity = z.output<typeof severitySchema>;
