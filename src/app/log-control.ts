import { z } from "zod";
import type { Clock } from "../core/clock.js";
import { formatDuration, positiveDurationSchema } from "../core/duration.js";
import { ValidationError } from "../core/errors.js";
import { LOG_LEVELS, logLevelSchema, moduleLogger, type LogLevel, type Logger } from "../core/logger.js";
import { zodIssues } from "../rules/loader.js";

/** How long a request waits for its audit record before answering that the record is still pending. */
const AUDIT_WAIT_MS = 5_000;

/** A level change as the HTTP admin API and the NATS control subject take it. No `module` means every module. */
export const logLevelChangeSchema = z.strictObject({
  module: z.string().min(1).optional(),
  level: logLevelSchema,
  expiresIn: positiveDurationSchema.optional(),
});
export type LogLevelChange = z.output<typeof logLevelChangeSchema>;

/** Who asked, and through which channel: both go to the audit trail. */
export interface ChangeOrigin {
  actor: string;
  via: string;
}

export type LogAudit = (action: string, actor: string, details: Record<string, unknown>) => Promise<void>;

interface TemporaryLevel extends ChangeOrigin {
  changeId: number;
  level: LogLevel;
  expiresAtMs: number;
}

interface ModuleState {
  logger: Logger;
  /** The level without temporary changes. */
  base: LogLevel;
  /** Temporary levels, newest last: the newest one in force wins; each one ends on its own. */
  temporary: TemporaryLevel[];
}

export interface ModuleLevelChange {
  module: string;
  from: LogLevel;
  to: LogLevel;
}

export interface LogLevelView {
  module: string;
  level: LogLevel;
  base: LogLevel;
  temporary: Array<{ level: LogLevel; expiresAt: string; actor: string; via: string }>;
}

export interface AppliedChange {
  changes: ModuleLevelChange[];
  expiresAt?: string;
  /** Resolves once the change is in the audit trail (the change itself is already in force). */
  audited: Promise<void>;
}

function effective(state: ModuleState): LogLevel {
  return state.temporary.at(-1)?.level ?? state.base;
}

function asLevel(level: string): LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : "info";
}

/**
 * Log levels per module (pipeline stages and edges), changeable while running. A change with an expiry is temporary:
 * when it ends, the level that was in force before comes back (time from the injected clock, checked by `tick`). A
 * permanent change replaces the module's level and ends its temporary ones. Every change and every expiry is audited
 * with the actor and channel of the change.
 */
export class LogControl {
  private readonly modules = new Map<string, ModuleState>();
  private defaultLevel: LogLevel;
  private nextChangeId = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly root: Logger,
    private readonly deps: { clock: Clock; audit: LogAudit },
  ) {
    this.defaultLevel = asLevel(root.level);
  }

  /** The logger of one module, created on first use at the current default level. */
  logger(module: string): Logger {
    let state = this.modules.get(module);
    if (!state) {
      const logger = moduleLogger(this.root, module);
      logger.level = this.defaultLevel;
      state = { logger, base: this.defaultLevel, temporary: [] };
      this.modules.set(module, state);
    }
    return state.logger;
  }

  levels(): LogLevelView[] {
    return [...this.modules.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([module, state]) => ({
        module,
        level: effective(state),
        base: state.base,
        temporary: state.temporary.map((t) => ({ level: t.level, expiresAt: new Date(t.expiresAtMs).toISOString(), actor: t.actor, via: t.via })),
      }));
  }

  /** Apply a change now; the audit record follows (see `audited`). An unknown module is refused, naming the known ones. */
  change(request: LogLevelChange, origin: ChangeOrigin): AppliedChange {
    if (request.module !== undefined && !this.modules.has(request.module)) {
      throw new ValidationError([{ file: `log level change (${origin.via})`, path: "module", message: `unknown module "${request.module}"; known modules: ${[...this.modules.keys()].sort().join(", ")}` }]);
    }
    const targets = request.module === undefined ? [...this.modules.keys()].sort() : [request.module];
    const expiresAtMs = request.expiresIn === undefined ? undefined : this.deps.clock.now() + request.expiresIn;
    const changeId = this.nextChangeId++;
    const changes = targets.map((module) => {
      const state = this.modules.get(module) as ModuleState;
      const from = effective(state);
      if (expiresAtMs === undefined) {
        state.base = request.level;
        state.temporary = [];
      } else {
        state.temporary.push({ changeId, level: request.level, expiresAtMs, actor: origin.actor, via: origin.via });
      }
      state.logger.level = effective(state);
      return { module, from, to: effective(state) };
    });
    // A permanent change of every module is also the level of modules that appear later.
    if (request.module === undefined && expiresAtMs === undefined) this.defaultLevel = request.level;
    const expiresAt = expiresAtMs === undefined ? undefined : new Date(expiresAtMs).toISOString();
    const audited = this.deps.audit("log.level_changed", origin.actor, {
      via: origin.via,
      module: request.module ?? "*",
      level: request.level,
      ...(request.expiresIn === undefined ? {} : { expiresIn: formatDuration(request.expiresIn), expiresAt }),
      changes,
    });
    return { changes, ...(expiresAt === undefined ? {} : { expiresAt }), audited };
  }

  /**
   * A change as an edge receives it (HTTP body, NATS message): validated, applied, and answered once its audit
   * record is stored, or with `audit: "pending"` when the audit stream is not reachable in time (the change is in
   * force either way, and the record is stored as soon as it can be).
   */
  async request(body: unknown, origin: ChangeOrigin): Promise<{ changes: ModuleLevelChange[]; expiresAt?: string; audit: "stored" | "pending" }> {
    const parsed = logLevelChangeSchema.safeParse(body);
    if (!parsed.success) throw new ValidationError(zodIssues(`log level change (${origin.via})`, parsed.error));
    const { audited, ...applied } = this.change(parsed.data, origin);
    let timer: NodeJS.Timeout | undefined;
    const audit = await Promise.race([
      audited.then(() => "stored" as const, () => "pending" as const),
      new Promise<"pending">((resolve) => (timer = setTimeout(() => resolve("pending"), AUDIT_WAIT_MS))),
    ]);
    clearTimeout(timer);
    return { ...applied, audit };
  }

  /** End the temporary levels whose time has come; each ended change is audited once, in its requester's name. */
  tick(): Promise<void> {
    const now = this.deps.clock.now();
    const ended = new Map<number, { origin: ChangeOrigin; level: LogLevel; changes: ModuleLevelChange[] }>();
    for (const [module, state] of this.modules) {
      const expired = state.temporary.filter((t) => t.expiresAtMs <= now);
      if (expired.length === 0) continue;
      const from = effective(state);
      state.temporary = state.temporary.filter((t) => t.expiresAtMs > now);
      state.logger.level = effective(state);
      for (const t of expired) {
        const entry = ended.get(t.changeId) ?? { origin: { actor: t.actor, via: t.via }, level: t.level, changes: [] };
        entry.changes.push({ module, from, to: effective(state) });
        ended.set(t.changeId, entry);
      }
    }
    const records = [...ended.values()].map(({ origin, level, changes }) =>
      this.deps.audit("log.level_reverted", origin.actor, { via: origin.via, reason: "expired", level, changes }),
    );
    return Promise.all(records).then(() => undefined);
  }

  /** Check for expired levels every `intervalMs`. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.tick().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
