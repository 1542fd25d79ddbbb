import type { ValidationIssue } from "../core/errors.js";
import { canonicalJson, sha256Hex } from "../core/hash.js";
import { parseJsonText, zodIssues } from "../rules/loader.js";
import { DEFAULT_SEVERITY, inventoryFileSchema, RESERVED_LABELS, type FactValue, type InventoryFile, type Severity } from "./inventory.schema.js";

/** One thing that should exist: a host (no service) or one host of a service, with its intended state. */
export interface Member {
  key: string;
  source: string;
  service?: string;
  labels: Record<string, string>;
  /** Fact name → the intended value, as text (values are compared as text). */
  expected: Record<string, string>;
  intervalMs: number;
  changeWindowMs: number;
  severity: { missing: Severity; drift: Severity; unaudited: Severity };
  /** Where it is declared, and that file's version (alerts carry it as their generator version). */
  file: string;
  path: string;
  version: number;
}

export interface Inventory {
  members: Member[];
  files: string[];
  /** The highest file version: the generator version of "unknown" alerts, which belong to no member. */
  version: number;
  /** An unknown reporter silent this long is gone: the longest default interval of the files. */
  unknownSilenceMs: number;
  /** Changes whenever any inventory file changes: reloads and the audit trail compare it. */
  hash: string;
}

export const EMPTY_INVENTORY: Inventory = { members: [], files: [], version: 0, unknownSilenceMs: 5 * 60_000, hash: sha256Hex("") };

/** The identity of a member or a reporter: its source and service (none for a host reporting about itself). */
export function memberKey(source: string, service: string | undefined): string {
  return `${source}\u0001${service ?? ""}`;
}

/** Facts are compared as text: a report of `8` matches an intended `"8"`. */
export function factText(value: FactValue): string {
  return typeof value === "string" ? value : String(value);
}

export function describeMember(m: { source: string; service?: string | undefined }): string {
  return m.service === undefined ? m.source : `${m.source} (${m.service})`;
}

export interface ParsedInventoryFile {
  file: string;
  content: InventoryFile;
  raw: unknown;
}

/** Validate one inventory file's text. Pure: no I/O. */
export function parseInventoryFile(file: string, text: string): { parsed?: ParsedInventoryFile; issues: ValidationIssue[] } {
  const json = parseJsonText(file, text);
  if ("issue" in json) return { issues: [json.issue] };
  const result = inventoryFileSchema.safeParse(json.value);
  if (!result.success) return { issues: zodIssues(file, result.error) };
  return { parsed: { file, content: result.data, raw: json.value }, issues: [] };
}

/**
 * Flatten the files into members and check what needs every file at once: a member listed twice (anywhere), a
 * service declared twice, labels that would overwrite the ones the alerts set.
 */
export function buildInventory(files: readonly ParsedInventoryFile[]): { inventory: Inventory; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const members = new Map<string, Member>();
  const services = new Map<string, string>();
  for (const { file, content } of files) {
    const { defaults } = content;
    const severity: Member["severity"] = {
      missing: defaults.severity.missing ?? DEFAULT_SEVERITY.missing,
      drift: defaults.severity.drift ?? DEFAULT_SEVERITY.drift,
      unaudited: defaults.severity.unaudited ?? DEFAULT_SEVERITY.unaudited,
    };
    const add = (member: Omit<Member, "key" | "file" | "version" | "severity">): void => {
      const key = memberKey(member.source, member.service);
      const first = members.get(key);
      if (first) {
        issues.push({ file, path: `${member.path}`, message: `${describeMember(member)} is listed twice (also at ${first.file}: ${first.path})` });
        return;
      }
      members.set(key, { ...member, key, file, version: content.version, severity });
    };
    content.services.forEach((service, i) => {
      const path = `services[${i}]`;
      const firstService = services.get(service.name);
      if (firstService) issues.push({ file, path: `${path}.name`, message: `service "${service.name}" is declared twice (also at ${firstService}); list all its hosts in one entry` });
      else services.set(service.name, `${file}: ${path}`);
      issues.push(...reservedLabelIssues(file, `${path}.labels`, service.labels));
      service.hosts.forEach((entry, j) => {
        const host = typeof entry === "string" ? { source: entry } : entry;
        const hostPath = typeof entry === "string" ? `${path}.hosts[${j}]` : `${path}.hosts[${j}].source`;
        if (typeof entry !== "string") issues.push(...reservedLabelIssues(file, `${path}.hosts[${j}].labels`, entry.labels));
        add({
          source: host.source,
          service: service.name,
          labels: { ...service.labels, ...("labels" in host ? host.labels : undefined) },
          expected: expectedFacts({ ...service.facts, ...("facts" in host ? host.facts : undefined) }),
          intervalMs: ("interval" in host ? host.interval : undefined) ?? service.interval ?? defaults.interval,
          changeWindowMs: ("changeWindow" in host ? host.changeWindow : undefined) ?? service.changeWindow ?? defaults.changeWindow,
          path: hostPath,
        });
      });
    });
    content.hosts.forEach((host, i) => {
      issues.push(...reservedLabelIssues(file, `hosts[${i}].labels`, host.labels));
      add({
        source: host.source,
        labels: { ...host.labels },
        expected: expectedFacts(host.facts ?? {}),
        intervalMs: host.interval ?? defaults.interval,
        changeWindowMs: host.changeWindow ?? defaults.changeWindow,
        path: `hosts[${i}].source`,
      });
    });
  }
  const sorted = [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return {
    inventory: {
      members: [...members.values()],
      files: sorted.map((f) => f.file),
      version: Math.max(0, ...files.map((f) => f.content.version)),
      unknownSilenceMs: files.length === 0 ? EMPTY_INVENTORY.unknownSilenceMs : Math.max(...files.map((f) => f.content.defaults.interval)),
      hash: sha256Hex(canonicalJson(sorted.map((f) => [f.file, f.raw]))),
    },
    issues,
  };
}

function expectedFacts(facts: Record<string, FactValue>): Record<string, string> {
  return Object.fromEntries(Object.entries(facts).map(([name, value]) => [name, factText(value)]));
}

function reservedLabelIssues(file: string, path: string, labels: Record<string, string> | undefined): ValidationIssue[] {
  return Object.keys(labels ?? {})
    .filter((name) => (RESERVED_LABELS as readonly string[]).includes(name))
    .map((name) => ({ file, path: `${path}.${name}`, message: `"${name}" is set by the inventory alerts themselves; choose another label name` }));
}
