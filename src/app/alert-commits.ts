import type { JsMsg } from "@nats-io/jetstream";

/** An audit record one alert message calls for. */
export interface AlertAudit {
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

/** What one commit stores: the audit records and the state changes of some messages, then acknowledges them. */
export interface AlertCommit<Changes> {
  messages: JsMsg[];
  audits: AlertAudit[];
  changes: Changes;
}

export interface AlertCommitsDeps<Changes> {
  /** The state changes made since the last call (the dispatcher's dirty alerts and groups). */
  takeChanges: () => Changes;
  /** Store a commit's audit records, then its state; throws only when the stage stops (the messages then stay unacked). */
  store: (commit: AlertCommit<Changes>) => Promise<void>;
  /** A commit that failed: its messages are redelivered after the ack wait. */
  failed: (error: unknown) => void;
}

/** Messages taken in but not committed at most: past it, the stage waits for a commit before taking more. */
const MAX_UNCOMMITTED = 1_000;

/**
 * How long a commit waits for more messages to join it (unless enough are waiting already). Every commit rewrites
 * each group it changed, and a group of thousands of alerts is a large value: in a storm, commits a few ms apart
 * rewrote the same 50 groups hundreds of times a second (a quarter of all memory allocated).
 */
const GATHER_MS = 100;
const ENOUGH_TO_COMMIT = 500;

/**
 * Write-behind for the alert stage: each message changes the dispatcher at once, and its effects (audit records, then
 * alert and group state) are stored together with those of the messages that arrived while the previous commit was
 * in flight. A storm then costs a round trip per commit instead of several per alert. A message is acknowledged
 * only after its commit is stored, so a crash loses nothing: the message comes again. Audit records go before the
 * state, so a redelivered message that finds its state stored (a duplicate, audited by nobody) had its audit
 * record stored already.
 */
export class AlertCommits<Changes> {
  private messages: JsMsg[] = [];
  private audits: AlertAudit[] = [];
  private running: Promise<void> | undefined;
  private halted = false;
  private wake: (() => void) | undefined;

  constructor(private readonly deps: AlertCommitsDeps<Changes>) {}

  /** Take in a message whose change is already in the dispatcher; resolves when the stage may take the next one. */
  async add(message: JsMsg, audit: AlertAudit | undefined): Promise<void> {
    this.messages.push(message);
    if (audit) this.audits.push(audit);
    if (this.messages.length >= ENOUGH_TO_COMMIT) this.wake?.();
    this.running ??= this.run();
    if (this.messages.length >= MAX_UNCOMMITTED) await this.idle();
  }

  /** As a crash would: nothing more is committed or acknowledged (a commit in flight finishes its writes). */
  halt(): void {
    this.halted = true;
  }

  /** Resolves once everything taken in so far is committed (or its commit failed); commits at once what waits. */
  async idle(): Promise<void> {
    while (this.running) {
      this.wake?.();
      await this.running;
    }
  }

  /** Wait up to GATHER_MS for more messages; `wake` ends the wait early. */
  private gather(): Promise<void> {
    if (this.messages.length >= ENOUGH_TO_COMMIT) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), GATHER_MS);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    try {
      while (this.messages.length > 0 && !this.halted) {
        await this.gather();
        if (this.halted) break;
        // Taken in one synchronous step: the changes are exactly those of these messages.
        const commit: AlertCommit<Changes> = { messages: this.messages, audits: this.audits, changes: this.deps.takeChanges() };
        this.messages = [];
        this.audits = [];
        try {
          await this.deps.store(commit);
        } catch (error) {
          this.deps.failed(error);
          continue;
        }
        if (!this.halted) for (const m of commit.messages) m.ack();
      }
    } finally {
      this.running = undefined;
    }
  }
}
