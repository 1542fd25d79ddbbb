import { pino, type Logger, type LevelWithSilent } from "pino";
import { z } from "zod";

export type { Logger };

/** Levels from the most to the least verbose; `silent` writes nothing. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const satisfies readonly LevelWithSilent[];
export type LogLevel = (typeof LOG_LEVELS)[number];
export const logLevelSchema = z.enum(LOG_LEVELS, { error: `a level is one of ${LOG_LEVELS.join(", ")}` });

/** Secrets must never reach a log line: these paths are redacted wherever they appear. */
const REDACT = ["*.token", "*.password", "*.secret", "*.authToken", "*.signingSecret", "authorization", "*.authorization"];

export function createLogger(options: { level?: LevelWithSilent; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { name: options.name ?? "klaxon", level: options.level ?? "info", redact: { paths: REDACT, censor: "[redacted]" } },
    options.destination ?? process.stderr,
  );
}

/**
 * A module's own logger: its lines carry `module`, and its level can be changed without touching the others (pino
 * children keep their own level).
 */
export function moduleLogger(root: Logger, module: string): Logger {
  return root.child({ module });
}

export const silentLogger: Logger = pino({ level: "silent" });
