import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

/** Secrets must never reach a log line: these paths are redacted wherever they appear. */
const REDACT = ["*.token", "*.password", "*.secret", "*.authToken", "*.signingSecret", "authorization", "*.authorization"];

export function createLogger(options: { level?: LevelWithSilent; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { name: options.name ?? "klaxon", level: options.level ?? "info", redact: { paths: REDACT, censor: "[redacted]" } },
    options.destination ?? process.stderr,
  );
}

export const silentLogger: Logger = pino({ level: "silent" });
