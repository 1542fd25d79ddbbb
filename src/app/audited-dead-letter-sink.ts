import type { DeadLetter, DeadLetterSink } from "../store/ports.js";

type RecordAudit = (action: string, details: Record<string, unknown>, subject?: string) => Promise<void>;

/**
 * Every dead letter, whichever stage parks it, also goes to the audit trail (`deadletter.sent`): what was parked, why,
 * and where it came from. The record follows the send, so a letter is never audited without being stored.
 */
export class AuditedDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly inner: DeadLetterSink,
    private readonly recordAudit: RecordAudit,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    await this.inner.send(letter);
    await this.recordAudit(
      "deadletter.sent",
      {
        reason: letter.reason,
        detail: letter.detail.slice(0, 1_024),
        originalSubject: letter.originalSubject,
        bytes: letter.data.length,
        ...(letter.streamSequence === undefined ? {} : { streamSequence: letter.streamSequence }),
        ...(letter.deliveryCount === undefined ? {} : { deliveryCount: letter.deliveryCount }),
      },
      letter.originalSubject,
    );
  }
}
