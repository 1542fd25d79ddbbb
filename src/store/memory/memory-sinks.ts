import type { AlertTransition } from "../../alerts/alert.js";
import type { AlertSink, AuditEntry, AuditSink, DeadLetter, DeadLetterSink, SnapshotStore, StoredSnapshot } from "../ports.js";

/** In-memory adapters with the same contracts as the JetStream ones, for unit tests and `klaxon test`. */
export class MemoryAlertSink implements AlertSink {
  readonly published: AlertTransition[] = [];
  async publish(transition: AlertTransition): Promise<void> {
    this.published.push(transition);
  }
}

export class MemoryDeadLetterSink implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  async send(letter: DeadLetter): Promise<void> {
    this.letters.push(letter);
  }
}

export class MemorySnapshotStore implements SnapshotStore {
  private readonly saved = new Map<string, string>();
  async load(name: string): Promise<StoredSnapshot | undefined> {
    const text = this.saved.get(name);
    return text === undefined ? undefined : (JSON.parse(text) as StoredSnapshot);
  }
  async save(name: string, snapshot: StoredSnapshot): Promise<void> {
    this.saved.set(name, JSON.stringify(snapshot));
  }
  async names(prefix: string): Promise<string[]> {
    return [...this.saved.keys()].filter((name) => name.startsWith(prefix));
  }
  async remove(name: string): Promise<void> {
    this.saved.delete(name);
  }
}

export class MemoryAuditSink implements AuditSink {
  readonly entries: AuditEntry[] = [];
  async record(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }
}
