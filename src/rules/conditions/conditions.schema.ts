import { z } from "zod";
import { OPERATOR_NAMES, compileRegex } from "./operators.js";
import type { OperatorName } from "./operators.js";

/**
 * Rule conditions in json-rules-engine form, restricted to what Klaxon compiles with identical semantics:
 * a root `{all}` / `{any}` / `{not}`, nested boolean nodes, and leaves `{fact, operator, value, path?}` whose value
 * is JSON or a `{fact, path?}` reference. Condition references (`{condition: "name"}`), operator decorators
 * ("not:equal"), `params`, and JSONPath beyond `$.a.b[0]` are rejected.
 */

// ---------------------------------------------------------------------------------------------------------------
// Paths

const PATH_RE = /^\$(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[(?:0|[1-9][0-9]*)\])+$/;
const SEGMENT_RE = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[([0-9]+)\]/g;

/**
 * The property keys of a simple JSONPath (`$.a.b` → ["a", "b"], `$.items[0]` → ["items", "0"]), or undefined when
 * the path is not one of the supported forms. Keys are strings, as jsonpath-plus looks them up.
 */
export function parseFactPath(path: string): string[] | undefined {
  if (!PATH_RE.test(path)) return undefined;
  const keys: string[] = [];
  for (const m of path.matchAll(SEGMENT_RE)) keys.push((m[1] ?? m[2]) as string);
  return keys;
}

const PATH_HELP = "only simple JSONPath is supported: $.name, $.a.b, $.items[0] (names are letters, digits, _ and -)";

const pathSchema = z.string().refine((p) => PATH_RE.test(p), {
  error: (iss) => `unsupported path ${JSON.stringify(iss.input)}: ${PATH_HELP}`,
});

const factName = z.string({ error: "fact must be a string" }).min(1, "fact must not be empty");

// ---------------------------------------------------------------------------------------------------------------
// Leaves

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Plain JSON data: finite numbers, strings, booleans, null, arrays and plain objects of those (depth ≤ 64). */
export function isJsonValue(v: unknown): v is JsonValue {
  return jsonAt(v, 0);
}

function jsonAt(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v);
    case "object": {
      if (v === null) return true;
      if (depth >= 64) return false; // also stops cycles
      if (Array.isArray(v)) return v.every((x) => jsonAt(x, depth + 1));
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.values(v).every((x) => jsonAt(x, depth + 1));
    }
    default:
      return false;
  }
}

/** `value: {fact, path?}` compares with another fact (json-rules-engine's `almanac.getValue`). */
export const factRefSchema = z.strictObject({
  fact: factName,
  path: pathSchema.optional(),
});
export type FactRef = z.infer<typeof factRefSchema>;

/**
 * json-rules-engine treats ANY object value with an own `fact` key as a fact reference, so an object literal with a
 * `fact` key cannot be a literal: such values must be well-formed references.
 */
export function isFactRef(value: unknown): value is FactRef {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.hasOwn(value, "fact");
}

const LITERAL_ONLY: ReadonlySet<OperatorName> = new Set(["in", "notIn", "matches", "notMatches"]);

const leafSchema = z
  .strictObject({
    fact: factName,
    operator: z.enum(OPERATOR_NAMES, {
      error: (iss) => `unknown operator ${JSON.stringify(iss.input)}: allowed operators are ${OPERATOR_NAMES.join(", ")}`,
    }),
    value: z.custom<JsonValue>(isJsonValue, {
      error: (iss) => (iss.input === undefined ? "value is required" : "value must be a JSON value or {fact, path?}"),
    }),
    path: pathSchema.optional(),
    name: z.string().optional(),
    priority: z.number().int().min(1).optional(),
  })
  .superRefine((leaf, ctx) => {
    const { operator, value } = leaf;
    if (isFactRef(value)) {
      if (LITERAL_ONLY.has(operator)) {
        ctx.addIssue({
          code: "custom",
          path: ["value"],
          message: `operator "${operator}" needs a literal value; comparing with another fact ({fact: ...}) is not supported`,
          input: value,
        });
        return;
      }
      const ref = factRefSchema.safeParse(value);
      if (!ref.success) {
        for (const iss of ref.error.issues) {
          ctx.addIssue({
            code: "custom",
            path: ["value", ...iss.path],
            message: `${iss.message} (an object value with a "fact" key is a fact reference: {fact: string, path?: string})`,
            input: value,
          });
        }
      }
      return;
    }
    if ((operator === "in" || operator === "notIn") && !Array.isArray(value)) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `operator "${operator}" needs an array value`, input: value });
    }
    if (operator === "matches" || operator === "notMatches") {
      if (typeof value !== "string") {
        ctx.addIssue({
          code: "custom",
          path: ["value"],
          message: `operator "${operator}" needs a string value (a JavaScript regular expression source)`,
          input: value,
        });
      } else {
        try {
          compileRegex(value);
        } catch (err) {
          ctx.addIssue({
            code: "custom",
            path: ["value"],
            message: `invalid regular expression: ${err instanceof Error ? err.message : String(err)}`,
            input: value,
          });
        }
      }
    }
  });

export type LeafCondition = z.infer<typeof leafSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Boolean nodes (recursive)

export interface AllCondition {
  all: Condition[];
  name?: string | undefined;
  priority?: number | undefined;
}
export interface AnyCondition {
  any: Condition[];
  name?: string | undefined;
  priority?: number | undefined;
}
export interface NotCondition {
  not: Condition;
  name?: string | undefined;
  priority?: number | undefined;
}
/** What a rule's `conditions` root may be (json-rules-engine's TopLevelCondition minus condition references). */
export type TopLevelCondition = AllCondition | AnyCondition | NotCondition;
export type Condition = TopLevelCondition | LeafCondition;

const BOOLEAN_KEYS = ["all", "any", "not"] as const;

/**
 * A nested condition. Dispatches on the keys present (as json-rules-engine does) so that an error deep in the tree
 * is reported at its own path, e.g. ["all", 0, "operator"], rather than as an opaque union failure.
 */
const conditionSchema: z.ZodType<Condition> = z.unknown().transform((input, ctx) => dispatch(input, ctx, false));

const common = { name: z.string().optional(), priority: z.number().int().min(1).optional() };
const allSchema = z.strictObject({ all: z.array(conditionSchema), ...common });
const anySchema = z.strictObject({ any: z.array(conditionSchema), ...common });
const notSchema = z.strictObject({ not: conditionSchema, ...common });

type Ctx = z.core.$RefinementCtx<unknown>;

function dispatch(input: unknown, ctx: Ctx, root: boolean): Condition {
  const fail = (message: string): never => {
    ctx.addIssue({ code: "custom", message, input });
    return z.NEVER;
  };
  const expected = root
    ? "conditions must be {all: [...]}, {any: [...]} or {not: {...}}"
    : "a condition must be {all: [...]}, {any: [...]}, {not: {...}} or {fact, operator, value}";
  if (input === null || typeof input !== "object" || Array.isArray(input)) return fail(expected);
  if (Object.hasOwn(input, "condition")) {
    return fail('condition references ({condition: "name"}) are not supported: write the conditions inline');
  }
  const present = BOOLEAN_KEYS.filter((k) => Object.hasOwn(input, k));
  if (present.length > 1) return fail(`a condition must have exactly one of all, any, not (found ${present.join(", ")})`);
  let schema: z.ZodType<Condition>;
  if (present[0] === "all") schema = allSchema;
  else if (present[0] === "any") schema = anySchema;
  else if (present[0] === "not") schema = notSchema;
  else if (root) return fail(`${expected}; a single {fact, operator, value} must be wrapped, e.g. {all: [...]}`);
  else if (Object.hasOwn(input, "fact")) schema = leafSchema;
  else return fail(expected);

  const result = schema.safeParse(input);
  if (result.success) return result.data;
  for (const iss of result.error.issues) ctx.issues.push({ ...iss, input: undefined });
  return z.NEVER;
}

/** A rule's `conditions`. Parse with `conditionsSchema.safeParse(raw)`; issue paths are relative to the root. */
export const conditionsSchema: z.ZodType<TopLevelCondition> = z
  .unknown()
  .transform((input, ctx) => dispatch(input, ctx, true) as TopLevelCondition);

export type Conditions = z.infer<typeof conditionsSchema>;
