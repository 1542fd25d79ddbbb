// What the demo reports as it happens, and the one line each becomes. Kept apart from where the moments come from
// (NATS subjects, the outbox) so the wording is one place to read.
import type { OutboxEntry } from "./outbox.js";

export type Moment =
  | { kind: "firing" | "resolved"; alertname: string; severity: string; summary: string }
  | { kind: "notify"; receiver: string; reason: string; firing: string[]; resolved: string[] }
  | { kind: "page"; incidentId: string; user: string; channel: string; level: number; title: string }
  | { kind: "delivered"; entry: OutboxEntry }
  | { kind: "escalated"; incidentId: string; title: string; level: number; round: number }
  | { kind: "acknowledged"; incidentId: string; title: string; actor: string; via: string }
  | { kind: "deadLetter"; reason: string; detail: string };

const MAX_TEXT = 110;

/** `  +12.3s FIRING      disk-almost-full [warning] web-1:/var is 95% full` */
export function momentLine(moment: Moment, elapsedMs: number): string {
  const [mark, text] = describe(moment);
  return `  ${`+${(elapsedMs / 1_000).toFixed(1)}s`.padStart(7)} ${mark.padEnd(11)} ${text}`;
}

function describe(moment: Moment): [string, string] {
  switch (moment.kind) {
    case "firing":
      return ["FIRING", `${moment.alertname} [${moment.severity}] ${oneLine(moment.summary)}`];
    case "resolved":
      return ["RESOLVED", `${moment.alertname} [${moment.severity}] ${oneLine(moment.summary)}`];
    case "notify": {
      const resolved = moment.resolved.length > 0 ? `, resolved [${moment.resolved.join(", ")}]` : "";
      return ["NOTIFY", `${moment.receiver} (${moment.reason}): firing [${moment.firing.join(", ")}]${resolved}`];
    }
    case "page":
      return ["PAGE", `${moment.user} via ${moment.channel}, level ${moment.level + 1}: ${oneLine(moment.title)}`];
    case "delivered": {
      const { entry } = moment;
      const how = entry.kind === "message" ? entry.channel : `${entry.channel} ${entry.kind === "update" ? "update" : "thread reply"}`;
      const whom = entry.person === undefined ? entry.to : `${entry.person} (${entry.to})`;
      return ["DELIVERED", `${how} to ${whom}: ${oneLine(entry.text)}`];
    }
    case "escalated": {
      const step = moment.round > 0 ? `level ${moment.level + 1}, round ${moment.round + 1}` : `level ${moment.level + 1}`;
      return ["ESCALATED", `${oneLine(moment.title)} → ${step}: nobody acknowledged in time`];
    }
    case "acknowledged":
      return ["ACKED", `${oneLine(moment.title)} by ${moment.actor} via ${moment.via}: paging stops`];
    case "deadLetter":
      return ["DEAD LETTER", `${moment.reason}: ${oneLine(moment.detail)}`];
  }
}

/** Whitespace runs (a Slack text's line breaks) as one space, and long texts cut: one moment, one terminal line. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= MAX_TEXT ? flat : `${flat.slice(0, MAX_TEXT - 1)}…`;
}

export type MomentOf<K extends Moment["kind"]> = Extract<Moment, { kind: K }>;

/** A matcher for `Narrator.waitFor`: a moment of this kind that passes `test`. */
export function momentOf<K extends Moment["kind"]>(kind: K, test: (moment: MomentOf<K>) => boolean = () => true): (moment: Moment) => moment is MomentOf<K> {
  return (moment: Moment): moment is MomentOf<K> => moment.kind === kind && test(moment as MomentOf<K>);
}
