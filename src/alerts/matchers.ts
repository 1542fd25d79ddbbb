import { z } from "zod";
import { AppError } from "../core/errors.js";
import type { Labels, MatchOperator, Matcher } from "./model.js";

/** A matcher string that does not parse, or whose regex does not compile. */
export class MatcherParseError extends AppError {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`invalid matcher ${JSON.stringify(text)}: ${reason}`);
  }
}

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
// Longest operators first, so "=~" is not read as "=" followed by a value starting with "~".
const OPERATORS: readonly MatchOperator[] = ["=~", "!~", "!=", "="];

/**
 * Parse `name="value"`, `name=value`, `name!=value`, `name=~"regex"`, `name!~regex`. Quoted values unescape `\"`,
 * `\\` and `\n`; any other backslash is kept, so `=~"\d+"` means the regex `\d+`. Regexes must compile.
 */
export function parseMatcher(text: string): Matcher {
  const source = text.trim();
  if (source === "") throw new MatcherParseError(text, 'expected name="value"');
  const name = LABEL_NAME.exec(source)?.[0];
  if (name === undefined) {
    throw new MatcherParseError(text, "a matcher starts with a label name: letters, digits and _, not starting with a digit");
  }
  const afterName = source.slice(name.length).trimStart();
  const op = OPERATORS.find((candidate) => afterName.startsWith(candidate));
  if (op === undefined) {
    throw new MatcherParseError(
      text,
      `expected =, !=, =~ or !~ after label name "${name}" (label names are letters, digits and _, not starting with a digit)`,
    );
  }
  const rest = afterName.slice(op.length).trim();
  const value = rest.startsWith('"') ? unquote(text, rest) : unquoted(text, rest);
  if (op === "=~" || op === "!~") anchoredRegex(value, text);
  return { name, op, value };
}

function unquote(text: string, quoted: string): string {
  let value = "";
  for (let i = 1; i < quoted.length; i++) {
    const ch = quoted[i] as string;
    if (ch === "\\") {
      const next = quoted[i + 1];
      if (next === undefined) break;
      i++;
      if (next === '"' || next === "\\") value += next;
      else if (next === "n") value += "\n";
      else value += `\\${next}`;
    } else if (ch === '"') {
      const trailing = quoted.slice(i + 1).trim();
      if (trailing !== "") {
        throw new MatcherParseError(text, `unexpected text ${JSON.stringify(trailing)} after the closing quote (escape inner quotes as \\")`);
      }
      return value;
    } else {
      value += ch;
    }
  }
  throw new MatcherParseError(text, "the quoted value has no closing quote");
}

function unquoted(text: string, value: string): string {
  if (value.includes('"')) {
    throw new MatcherParseError(text, 'an unquoted value cannot contain ": quote the whole value and escape inner quotes as \\"');
  }
  // "a==b" and "a!=~b" are typos far more often than values starting with "=" or "~".
  if (value.startsWith("=") || value.startsWith("~")) {
    throw new MatcherParseError(text, `unexpected "${value[0] as string}" after the operator: quote the value if it really starts with it`);
  }
  return value;
}

/**
 * The regex of a `=~` / `!~` matcher, anchored at both ends as Alertmanager does. The bare regex must compile on its
 * own too, so a value such as `a)|(b` cannot break out of the anchoring group.
 */
function anchoredRegex(value: string, text: string): RegExp {
  try {
    new RegExp(value);
    return new RegExp(`^(?:${value})$`);
  } catch (error) {
    throw new MatcherParseError(text, `the regex does not compile: ${(error as Error).message}`);
  }
}

/** A matcher in a schema: the string form, parsed; the issue message is the parse error. */
export const matcherSchema = z.string().transform((text, ctx): Matcher => {
  try {
    return parseMatcher(text);
  } catch (error) {
    if (!(error instanceof MatcherParseError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message });
    return z.NEVER;
  }
});

/** The canonical string form, always quoted; `parseMatcher(formatMatcher(m))` gives `m` back. */
export function formatMatcher(m: Matcher): string {
  const escaped = m.value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  return `${m.name}${m.op}"${escaped}"`;
}

/** A label's value; a missing label reads as "" (Alertmanager semantics). Own keys only: "constructor" is a label name. */
export function labelValue(labels: Labels, name: string): string {
  return Object.hasOwn(labels, name) ? (labels[name] as string) : "";
}

function valueTest(m: Matcher): (value: string) => boolean {
  switch (m.op) {
    case "=":
      return (value) => value === m.value;
    case "!=":
      return (value) => value !== m.value;
    case "=~": {
      const re = anchoredRegex(m.value, formatMatcher(m));
      return (value) => re.test(value);
    }
    case "!~": {
      const re = anchoredRegex(m.value, formatMatcher(m));
      return (value) => !re.test(value);
    }
  }
}

/** All matchers must hold. Regexes compile once, here; an empty list matches every alert. */
export function compileMatchers(ms: readonly Matcher[]): (labels: Labels) => boolean {
  const tests = ms.map((m) => ({ name: m.name, test: valueTest(m) }));
  return (labels) => tests.every(({ name, test }) => test(labelValue(labels, name)));
}

// ---------------------------------------------------------------------------------------------------------------
// Static analysis, for `klaxon check`: exact where a label's values form a finite set, silent otherwise.

const LITERAL_CHAR = /[A-Za-z0-9_\- :/@,=%#!<>'"~&;]/;
const ESCAPABLE = /[.\-+*?()[\]{}|^$\\/]/;

/**
 * The values a regex matches when it is an alternation of plain literals (`api|web`, `db1\.example\.com`, or `` for
 * the empty string); undefined for anything with regex operators.
 */
export function literalAlternatives(regex: string): string[] | undefined {
  const values: string[] = [];
  let current = "";
  for (let i = 0; i < regex.length; i++) {
    const ch = regex[i] as string;
    if (ch === "|") {
      values.push(current);
      current = "";
    } else if (ch === "\\" && ESCAPABLE.test(regex[i + 1] ?? "")) {
      current += regex[++i] as string;
    } else if (LITERAL_CHAR.test(ch)) {
      current += ch;
    } else {
      return undefined;
    }
  }
  values.push(current);
  return values;
}

/**
 * The values label `name` can take under `ms`, when `=` or a literal `=~` bounds them to a finite set; undefined
 * when unbounded. "" stands for a missing label.
 */
function possibleValues(ms: readonly Matcher[], name: string): string[] | undefined {
  const onName = ms.filter((m) => m.name === name);
  let candidates: string[] | undefined;
  for (const m of onName) {
    const values = m.op === "=" ? [m.value] : m.op === "=~" ? literalAlternatives(m.value) : undefined;
    if (values === undefined) continue;
    candidates = candidates === undefined ? [...new Set(values)] : candidates.filter((v) => values.includes(v));
  }
  if (candidates === undefined) return undefined;
  const tests = onName.map(valueTest);
  return candidates.filter((v) => tests.every((test) => test(v)));
}

/**
 * Why no alert can satisfy all of `ms`, as the matchers on the one label that conflict; undefined when they may be
 * satisfiable (or the conflict is beyond what the finite-set analysis sees).
 */
export function findContradiction(ms: readonly Matcher[]): { name: string; matchers: Matcher[] } | undefined {
  for (const name of new Set(ms.map((m) => m.name))) {
    const onName = ms.filter((m) => m.name === name);
    const values = possibleValues(ms, name);
    const opposite = onName.some((m) => m.op === "=~" && onName.some((n) => n.op === "!~" && n.value === m.value));
    if ((values !== undefined && values.length === 0) || opposite) return { name, matchers: onName };
  }
  return undefined;
}

/** True when every alert satisfying all of `premises` also satisfies `conclusion` (sound, not complete). */
export function impliesMatcher(premises: readonly Matcher[], conclusion: Matcher): boolean {
  if (premises.some((m) => m.name === conclusion.name && m.op === conclusion.op && m.value === conclusion.value)) return true;
  const values = possibleValues(premises, conclusion.name);
  if (values === undefined) return false;
  const test = valueTest(conclusion);
  return values.every(test);
}
