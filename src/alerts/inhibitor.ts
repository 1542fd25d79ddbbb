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

  /**
   * The firing alerts as sources, indexed by each rule's `equal` values: asking about a target is then one lookup
   * per rule. Comparing every target with every firing alert was quadratic: 20,000 alerts took 7 s to count, and a
   * storm of 100,000 would have held the alert stage for minutes at every flush.
   */
  sources(firing: readonly AlertRecord[]): InhibitionSources {
    return new InhibitionSources(
      this.rules,
      this.rules.map((rule) => {
        const byEqual = new Map<string, { count: number; fingerprint: string }>();
        for (const source of firing) {
          if (!rule.source(source.labels)) continue;
          const key = equalKey(rule, source.labels);
          const known = byEqual.get(key);
          if (known) known.count++;
          else byEqual.set(key, { count: 1, fingerprint: source.fingerprint });
        }
        return byEqual;
      }),
    );
  }
}

/** Firing alerts that can inhibit, as `Inhibitor.sources` indexed them. */
export class InhibitionSources {
  constructor(
    private readonly rules: readonly CompiledInhibitRule[],
    private readonly byRule: ReadonlyArray<ReadonlyMap<string, { count: number; fingerprint: string }>>,
  ) {}

  inhibits(target: AlertRecord): boolean {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i] as CompiledInhibitRule;
      if (!rule.target(target.labels)) continue;
      const sources = (this.byRule[i] as ReadonlyMap<string, { count: number; fingerprint: string }>).get(equalKey(rule, target.labels));
      // Firing alerts are distinct by fingerprint: two or more sources include one that is not the target itself.
      if (sources && (sources.count > 1 || sources.fingerprint !== target.fingerprint)) return true;
    }
    return false;
  }
}

/** The values of a rule's `equal` labels, missing ones as "", as one unambiguous string. */
function equalKey(rule: CompiledInhibitRule, labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(rule.equal.map((name) => labels[name] ?? ""));
}
