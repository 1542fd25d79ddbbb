/**
 * Annotation templates: "{{ value }}", "{{ labels.host }}", "{{ source }}". Deliberately tiny (no logic, no
 * helpers): annotations describe an alert, notification templates in templates/ do the presentation.
 */
export const ANNOTATION_ROOTS = ["value", "count", "source", "service", "name", "level", "message", "labels", "lastSeen", "time", "rule"] as const;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

export type RenderFacts = Readonly<Record<string, unknown>>;
export type CompiledTemplate = (facts: RenderFacts) => string;

/** Placeholders whose root is not a known fact: `klaxon check` reports them. */
export function unknownPlaceholders(template: string): string[] {
  const roots: readonly string[] = ANNOTATION_ROOTS;
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string).filter((path) => !roots.includes(path.split(".")[0] as string));
}

export function compileTemplate(template: string): CompiledTemplate {
  const parts: Array<string | string[]> = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    parts.push(template.slice(last, match.index));
    parts.push((match[1] as string).split("."));
    last = match.index + match[0].length;
  }
  parts.push(template.slice(last));
  if (parts.length === 1) return () => template;
  return (facts) => parts.map((part) => (typeof part === "string" ? part : formatValue(lookup(facts, part)))).join("");
}

function lookup(facts: RenderFacts, path: readonly string[]): unknown {
  let current: unknown = facts;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Numbers keep at most three decimals: "93.333", not "93.33333333333333". */
function formatValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Templates are compiled on first use: most rules never fire, and compiling every rule's templates up front was the
 * largest part of building an evaluator (a rule set change, every benchmark pass).
 */
export function compileAnnotations(annotations: Readonly<Record<string, string>> | undefined): (facts: RenderFacts) => Record<string, string> {
  let compiled: ReadonlyArray<readonly [string, CompiledTemplate]> | undefined;
  return (facts) => {
    compiled ??= Object.entries(annotations ?? {}).map(([name, template]) => [name, compileTemplate(template)] as const);
    return Object.fromEntries(compiled.map(([name, render]) => [name, render(facts)]));
  };
}
