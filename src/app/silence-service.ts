import { randomUUID } from "node:crypto";
import { silenceRequestSchema, silenceState, type Silence } from "../alerts/silences.js";
import type { Clock } from "../core/clock.js";
import { parseDuration } from "../core/duration.js";
import { ValidationError } from "../core/errors.js";
import { zodIssues } from "../rules/loader.js";
import type { KvAlertStateStore } from "../store/jetstream/alert-state-store.js";
import type { AuditSink } from "../store/ports.js";

/**
 * Creating, listing and expiring silences, the same for the CLI, the HTTP API and (later) Slack: validated,
 * stored with compare-and-set, and audited with who did it and through which channel.
 */
export class SilenceService {
  constructor(
    private readonly store: KvAlertStateStore,
    private readonly audit: AuditSink,
    private readonly clock: Clock,
  ) {}

  async create(request: unknown, actor: string, channel: string): Promise<Silence> {
    const parsed = silenceRequestSchema.safeParse(request);
    if (!parsed.success) throw new ValidationError(zodIssues("silence", parsed.error));
    const r = parsed.data;
    const now = this.clock.now();
    const startsAtMs = r.startsAt ? Date.parse(r.startsAt) : now;
    let endsAtMs: number;
    if (r.duration !== undefined) {
      const ms = parseDuration(r.duration);
      if (ms === undefined || ms <= 0) throw new ValidationError([{ file: "silence", path: "duration", message: `invalid duration "${r.duration}" (e.g. "2h", "30m")` }]);
      endsAtMs = startsAtMs + ms;
    } else endsAtMs = Date.parse(r.endsAt as string);
    if (endsAtMs <= startsAtMs) throw new ValidationError([{ file: "silence", path: "endsAt", message: "the silence must end after it starts" }]);
    if (endsAtMs <= now) throw new ValidationError([{ file: "silence", path: "endsAt", message: "the silence would already be over" }]);
    const silence: Silence = { id: randomUUID(), matchers: r.matchers, startsAtMs, endsAtMs, createdBy: actor, comment: r.comment, updatedAtMs: now };
    await this.store.createSilence(silence);
    await this.audit.record({ action: "silence.created", actor, timeMs: now, subject: silence.id, details: { channel, silence } });
    return silence;
  }

  async list(): Promise<Array<Silence & { state: ReturnType<typeof silenceState> }>> {
    const now = this.clock.now();
    return (await this.store.listSilences()).map((s) => ({ ...s, state: silenceState(s, now) })).sort((a, b) => a.startsAtMs - b.startsAtMs);
  }

  /** End a silence now. Expiring an expired silence is a no-op that says so. */
  async expire(id: string, actor: string, channel: string): Promise<{ silence: Silence; alreadyExpired: boolean }> {
    const { silence, revision } = await this.store.getSilence(id);
    const now = this.clock.now();
    if (silenceState(silence, now) === "expired") return { silence, alreadyExpired: true };
    const expired: Silence = { ...silence, endsAtMs: now, startsAtMs: Math.min(silence.startsAtMs, now), updatedAtMs: now };
    await this.store.updateSilence(expired, revision);
    await this.audit.record({ action: "silence.expired", actor, timeMs: now, subject: id, details: { channel, before: silence, after: expired } });
    return { silence: expired, alreadyExpired: false };
  }
}
