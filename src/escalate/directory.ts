import type { EscalationPolicy } from "./policy.schema.js";
import type { Pageable } from "./pages.js";

/**
 * What escalation needs to know, from the versioned files: policies, people, who a schedule has on call at an
 * instant, and which policy a receiver uses.
 */
export interface OnCallDirectory {
  policies: ReadonlyMap<string, EscalationPolicy>;
  users: ReadonlyMap<string, Pageable>;
  onCall(scheduleId: string, atMs: number): string[];
  policyOf(receiver: string): string | undefined;
}

export const EMPTY_DIRECTORY: OnCallDirectory = {
  policies: new Map(),
  users: new Map(),
  onCall: () => [],
  policyOf: () => undefined,
};
