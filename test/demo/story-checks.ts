// What every run of the demo story must show, whichever NATS it runs on: Alice's first page delivered to the Slack and
// SMTP stand-ins, and printed as DELIVERED.
import assert from "node:assert/strict";
import type { RunningDemo } from "../../scripts/demo/run.js";
import { eventually } from "../support/engine.js";

export async function assertAlicePaged(demo: RunningDemo, lines: readonly string[]): Promise<void> {
  const slack = await eventually("Alice's Slack page", () => demo.standIns.slack.messages().find((m) => m.channel === "D012ABCDEF" && m.text.includes("error-log-burst")), 30_000);
  assert.match(slack.text, /error-log-burst: 11 connection errors in the last minute from orders/);
  const mail = await eventually("Alice's e-mail", () => demo.standIns.smtp.mails.find((m) => m.to.includes("alice@example.com") && m.subject.includes("error-log-burst")), 30_000);
  assert.match(mail.subject, /^\[Klaxon\] error-log-burst: /);
  await eventually("the DELIVERED lines", () => (lines.some((l) => / DELIVERED +slack to alice \(D012ABCDEF\): .*error-log-burst/.test(l)) && lines.some((l) => / DELIVERED +email to alice \(alice@example\.com\): \[Klaxon\] error-log-burst/.test(l)) ? true : undefined));
}
