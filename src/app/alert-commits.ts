import { mergeEncodedChanges, isEmptyChanges, type EncodedStateChanges } from "../store/jetstream/alert-state-store.js";

/** An audit record a commit stores. */
export interface AlertAudit {
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

/** What the commits need of the world: each call retries until done and throws only when the stage stops. */
export interface AlertCommitsDeps {
  recordAudit: (audit: AlertAudit) => Promise<void>;
  writeState: (changes: EncodedStateChanges) => Promise<void>;
  /**
   * Whether the stage still holds its role, asked once a commit is stored and before its messages are acknowledged.
   * Another replica that took the role over loaded the state when it did: what this one stored after that, it never
   * saw, so those messages must come again (to it) rather than be acknowledged here.
   */
  stillOwner: () => Promise<boolean>;
  /** A commit that failed (the stage is stopping, or a write no retry can fix): its messages stay unacknowledged. */
  failed: (error: unknown) => void;
}

/**
 * Messages one commit carries at most; the rest wait for the next. A commit's audit records, writes and acks are made
 * in one turn of the event loop, which holds up the events meanwhile: bounded, that turn stays short. (Row 4 of the
 * bench at 10,000 events/s: p99 publish → state change 90-120 ms with this bound against 120-203 ms without.)
 */
export const MAX_MESSAGES_PER_COMMIT = 16;

/** Something a commit acknowledges once stored: an alert message. */
export interface Acknowledgeable {
  ack(): void;
}

interface Commit {
  messages: Acknowledgeable[];
  audits: AlertAudit[];
  changes: EncodedStateChanges;
  settled: Promise<void>;
  settle: (error?: unknown) => void;
}

/**
 * Group commit for the alert stage. A message changes the dispatcher in its own turn of the stage's lane; its effects
 * (audit records, then the alert and group state, encoded when taken) join the next commit, and the message is
 * acknowledged once that commit is stored. One commit runs at a time, and the next one carries everything staged
 * while it ran: no timer, so a lone alert is stored at once, while in a storm a round trip is paid per commit
 * rather than two per alert. Taken one at a time (each message stored and audited before the next was read), the
 * stage managed ~200 alerts a second on a loaded 2-core machine and fell thousands of messages behind at 15,000
 * events/s, which delayed every page by seconds.
 *
 * Nothing is lost by a crash: a message is acknowledged only after its commit is stored, so one whose commit did not
 * finish comes again. Audit records go first, so a redelivered message whose state was stored (a duplicate to the
 * dispatcher, audited by nobody) had its record stored already. Changes are taken from the dispatcher in the lane's
 * order, so a group notification's "told" state is staged only after the notification was published.
 */
export class AlertCommits {
  /** Commits waiting to run, oldest first; only the last one takes more. */
  private readonly waiting: Commit[] = [];
  private staged = 0;
  private running: Promise<void> | undefined;
  private halted = false;
  private roleTaken = false;

  constructor(private readonly deps: AlertCommitsDeps) {}

  /**
   * Whether the stage may still store, acknowledge and send: asked after each commit is stored, and by a tick before
   * it sends group notifications. Once the role is found taken over (or the stage halted) the answer stays no, and
   * commits stop for good. Throws as `deps.stillOwner` does.
   */
  async confirmOwner(): Promise<boolean> {
    if (this.halted) return false;
    const owner = await this.deps.stillOwner();
    if (this.halted) return false;
    if (owner) return true;
    this.roleTaken = true;
    this.deps.failed(new Error(ROLE_TAKEN));
    this.halt();
    return false;
  }

  /** Messages staged whose commit has not started yet. */
  get backlog(): number {
    return this.staged;
  }

  /**
   * Stage one message's effects (or a tick's: no message); the returned promise settles when they are stored (it
   * rejects if their commit failed). The commit starts at once when none is running.
   */
  stage(message: Acknowledgeable | undefined, audits: readonly AlertAudit[], changes: EncodedStateChanges): Promise<void> {
    if (!message && audits.length === 0 && isEmptyChanges(changes)) return Promise.resolve();
    // Halted (a crash test, or the role found taken over): nothing is stored any more, and nobody may wait for it.
    if (this.halted) return settledWith(new Error("the alert stage halted; this is not stored here"));
    let commit = this.waiting.at(-1);
    if (!commit || commit.messages.length >= MAX_MESSAGES_PER_COMMIT) this.waiting.push((commit = newCommit()));
    if (message) {
      commit.messages.push(message);
      this.staged++;
    }
    for (const audit of audits) commit.audits.push(audit);
    mergeEncodedChanges(commit.changes, changes);
    this.kick();
    return commit.settled;
  }

  /** Resolves once everything staged so far is stored, or its commit failed. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** As a crash would: no further commit starts, nothing more is acknowledged. */
  halt(): void {
    this.halted = true;
    for (const commit of this.waiting.splice(0)) commit.settle(new Error("the alert stage halted before this was stored"));
    this.staged = 0;
  }

  /** Start committing unless a commit runs (its loop takes what waits) or nothing waits. */
  private kick(): void {
    if (this.running || this.halted || this.waiting.length === 0) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      // Staged after the loop's last look and before this callback: it would wait for the next stage() otherwise.
      this.kick();
    });
  }

  /** Commit what waits, then what was staged meanwhile, until nothing waits. */
  private async run(): Promise<void> {
    for (let commit = this.waiting.shift(); commit && !this.halted; commit = this.waiting.shift()) {
      this.staged -= commit.messages.length;
      let owner: boolean;
      try {
        await Promise.all(commit.audits.map((audit) => this.deps.recordAudit(audit)));
        if (!isEmptyChanges(commit.changes)) await this.deps.writeState(commit.changes);
        owner = await this.confirmOwner();
      } catch (error) {
        this.deps.failed(error);
        commit.settle(error);
        continue;
      }
      if (!owner) {
        // Stored, but halted meanwhile or another replica holds the role now: nothing is acknowledged here.
        commit.settle(new Error(this.roleTaken ? ROLE_TAKEN : "the alert stage halted before acknowledging this"));
        return;
      }
      for (const message of commit.messages) message.ack();
      commit.settle();
    }
  }
}

const ROLE_TAKEN = "another replica took the coordinator role over; nothing more is stored, acknowledged or sent here, and what is unacknowledged is redelivered to it";

/** A promise already rejected with `error`, whose rejection is not reported as unhandled (see newCommit). */
function settledWith(error: Error): Promise<void> {
  const rejected = Promise.reject(error);
  rejected.catch(() => undefined);
  return rejected;
}

function newCommit(): Commit {
  let settle!: (error?: unknown) => void;
  const settled = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  // Nobody need wait for a commit (a message's is not awaited): an unobserved failure is reported through `failed`.
  settled.catch(() => undefined);
  return { messages: [], audits: [], changes: { alerts: new Map(), groups: new Map() }, settled, settle };
}
