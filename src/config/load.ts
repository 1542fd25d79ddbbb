import { readFile } from "node:fs/promises";
import { ValidationError } from "../core/errors.js";
import { parseJsonText, zodIssues } from "../rules/loader.js";
import { configSchema, type Config, type ConfigInput } from "./config.schema.js";

/** Environment variables that override the config file, for containers and one-off runs. */
function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env.KLAXON_NATS_URL) out.nats = { servers: env.KLAXON_NATS_URL.split(",").map((s) => s.trim()) };
  if (env.KLAXON_RULES_DIR) out.rulesDir = env.KLAXON_RULES_DIR;
  if (env.KLAXON_LOG_LEVEL) out.logLevel = env.KLAXON_LOG_LEVEL;
  if (env.KLAXON_INSTANCE || env.KLAXON_PARTITIONS) {
    out.cluster = { ...(env.KLAXON_INSTANCE ? { instanceId: env.KLAXON_INSTANCE } : {}), ...(env.KLAXON_PARTITIONS ? { partitions: Number(env.KLAXON_PARTITIONS) } : {}) };
  }
  if (env.KLAXON_HTTP_PORT || env.KLAXON_API_TOKENS_FILE) {
    out.http = {
      ...(env.KLAXON_HTTP_PORT ? { port: Number(env.KLAXON_HTTP_PORT) } : {}),
      ...(env.KLAXON_API_TOKENS_FILE ? { tokensFile: env.KLAXON_API_TOKENS_FILE } : {}),
    };
  }
  return out;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      value && typeof value === "object" && !Array.isArray(value) && current && typeof current === "object" && !Array.isArray(current)
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/** Validate a config object; errors name the file (or "environment") and the field. */
export function parseConfig(input: unknown, source = "config"): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ValidationError(zodIssues(source, result.error));
  return result.data;
}

export async function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigInput } = {}): Promise<Config> {
  let fileValue: Record<string, unknown> = {};
  const file = options.file ?? options.env?.KLAXON_CONFIG;
  if (file) {
    const parsed = parseJsonText(file, await readFile(file, "utf8"));
    if ("issue" in parsed) throw new ValidationError([parsed.issue]);
    fileValue = parsed.value as Record<string, unknown>;
  }
  const merged = merge(merge(fileValue, fromEnvironment(options.env ?? {})), (options.overrides ?? {}) as Record<string, unknown>);
  return parseConfig(merged, file ?? "config");
}
