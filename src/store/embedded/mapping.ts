// Subject mappings, as nats-server applies them to what clients publish: a source pattern with `*` wildcards and a
// destination built from `{{wildcard(n)}}` and `{{partition(N,a,b,...)}}` (FNV-1a 32-bit of the chosen tokens,
// modulo N). Klaxon's cluster mode partitions events this way, so the embedded server must route them the same.
import { AppError } from "../../core/errors.js";
import { subjectMatches } from "./subjects.js";

export class MappingError extends AppError {}

type Part = { kind: "text"; text: string } | { kind: "wildcard"; index: number } | { kind: "partition"; partitions: number; indexes: number[] };

export interface SubjectMapping {
  source: string;
  parts: Part[];
}

const FUNCTION = /\{\{\s*(\w+)\s*\(([^)]*)\)\s*\}\}/g;

export function compileMapping(source: string, destination: string): SubjectMapping {
  const wildcards = source.split(".").filter((token) => token === "*").length;
  const parts: Part[] = [];
  let last = 0;
  for (const match of destination.matchAll(FUNCTION)) {
    if (match.index > last) parts.push({ kind: "text", text: destination.slice(last, match.index) });
    last = match.index + match[0].length;
    const name = (match[1] ?? "").toLowerCase();
    const args = (match[2] ?? "").split(",").map((arg) => Number(arg.trim()));
    const checkIndex = (index: number): number => {
      if (!Number.isInteger(index) || index < 1 || index > wildcards) throw new MappingError(`mapping ${source} → ${destination}: no wildcard ${index} in the source`);
      return index;
    };
    if (name === "wildcard" && args.length === 1) parts.push({ kind: "wildcard", index: checkIndex(args[0] ?? 0) });
    else if (name === "partition" && args.length >= 2 && Number.isInteger(args[0]) && (args[0] ?? 0) > 0) parts.push({ kind: "partition", partitions: args[0] ?? 1, indexes: args.slice(1).map(checkIndex) });
    else throw new MappingError(`mapping ${source} → ${destination}: unsupported function ${match[0]}`);
  }
  if (last < destination.length) parts.push({ kind: "text", text: destination.slice(last) });
  return { source, parts };
}

/** The subject a publish on `subject` is stored and delivered under: the first matching mapping wins. */
export function mapSubject(mappings: ReadonlyArray<SubjectMapping>, subject: string): string {
  for (const mapping of mappings) {
    if (!subjectMatches(mapping.source, subject)) continue;
    const tokens = subject.split(".");
    const wildcardTokens = mapping.source.split(".").flatMap((token, i) => (token === "*" ? [tokens[i] ?? ""] : []));
    return mapping.parts
      .map((part) => {
        if (part.kind === "text") return part.text;
        if (part.kind === "wildcard") return wildcardTokens[part.index - 1] ?? "";
        return String(fnv1a32(part.indexes.map((index) => wildcardTokens[index - 1] ?? "").join("")) % part.partitions);
      })
      .join("");
  }
  return subject;
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/** Reads the `mappings = { "src": "dst", ... }` block of a nats-server configuration text (what tests pass). */
export function mappingsFromServerConfig(text: string): Record<string, string> {
  const start = /mappings\s*[=:]?\s*\{/m.exec(text);
  if (start === null) return {};
  // The block ends at the first "}" outside quotes (destinations hold "{{...}}").
  let end = start.index + start[0].length;
  for (let quoted = false; end < text.length && (quoted || text[end] !== "}"); end++) if (text[end] === '"') quoted = !quoted;
  const out: Record<string, string> = {};
  for (const pair of text.slice(start.index + start[0].length, end).matchAll(/"([^"]+)"\s*[:=]\s*"([^"]+)"/g)) out[pair[1] ?? ""] = pair[2] ?? "";
  return out;
}
