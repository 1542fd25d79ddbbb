import type { AlertRecord } from "./dispatcher.types.js";
import type { CompiledInhibitRule } from "./routing.js";

/**
 * Inhibition: a firing source alert (say, "datacenter down") mutes target alerts that carry the same values for the
 * rule's `equal` labels. An alert never inhibits itself. A missing label counts as the empty string, as in
 * Alertmanager.
 */
export class Inhibitor {
  constructor(private readonly rules: readonly CompiledInhibitRule[]) {}

  get hasRules(): boolean {
    return this.rules.length > 0;
  }

  inhibits(target: AlertRecord, firing: readonly AlertRecord[]): boolean {
    for (const rule of this.rules) {
      if (!rule.target(target.labels)) continue;
      for (const source of firing) {
        if (source.fingerprint === target.fingerprint || !rule.source(source.labels)) continue;
        if (rule.equal.every((name) => (source.labels[name] ?? "") === (target.labels[name] ?? ""))) return true;
      }
    }
    return false;
  }
}
