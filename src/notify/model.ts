/** The channels a notification can go out on. Slack, email and SMS reach people; a webhook reaches another system. */
export type ChannelName = "slack" | "email" | "sms" | "webhook";
export const PERSON_CHANNELS = ["slack", "email", "sms"] as const;
export type PersonChannel = (typeof PERSON_CHANNELS)[number];

/**
 * Why a message is sent, which picks its template: a new page or group notification (`firing`), a page to a later
 * escalation level (`escalated`), and the incident's later state changes (`acknowledged`, `resolved`).
 */
export type Purpose = "firing" | "escalated" | "acknowledged" | "resolved";
export const PURPOSES: readonly Purpose[] = ["firing", "escalated", "acknowledged", "resolved"];

export type Severity = "critical" | "error" | "warning" | "info";

/** One alert as templates see it: times as ISO strings, labels both as a map and as a sorted list. */
export interface AlertView {
  fingerprint: string;
  status: "firing" | "resolved";
  alertname: string;
  severity: string;
  summary: string;
  labels: Record<string, string>;
  labelList: Array<{ name: string; value: string }>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string | null;
}

export interface IncidentView {
  id: string;
  state: "triggered" | "acknowledged" | "resolved";
  /** 1-based, as people count levels. */
  level: number;
  round: number;
  acknowledgedBy: string | null;
  acknowledgedVia: string | null;
  resolvedBy: string | null;
  resolvedVia: string | null;
}

/**
 * Everything a template can use. Every key is always present (null when it does not apply), so templates compiled
 * in strict mode fail on a typo, never on a missing optional value.
 */
export interface TemplateContext {
  purpose: Purpose;
  title: string;
  status: "firing" | "resolved";
  /** The highest severity among the firing alerts (or all alerts when none fires). */
  severity: string;
  receiver: string;
  groupId: string;
  groupLabels: Record<string, string>;
  groupLabelList: Array<{ name: string; value: string }>;
  alerts: AlertView[];
  /** How many alerts the group holds, which may be more than `alerts` lists (a notification lists the first 100). */
  firingCount: number;
  resolvedCount: number;
  /** Alerts counted but not in `alerts`: templates say "and N more". */
  unlistedCount: number;
  incident: IncidentView | null;
  /** The person this copy is for; null for a receiver's channel or webhook. */
  recipient: { id: string; name: string } | null;
  /** The code to text back (`ACK 4821`), when the incident has one. */
  replyCode: string | null;
  /** ISO time of the change being announced. */
  at: string;
  /** Whether Acknowledge / Resolve buttons make sense (an open incident behind the message). */
  actionable: boolean;
  /** The Slack button value: what a click refers to. */
  actionValue: string;
}

/** What a Slack template renders to: the message itself, and the thread reply that announces a change. */
export interface SlackMessage {
  text: string;
  blocks: unknown[];
  /** Posted as a reply in the message's thread when an existing message is updated (ignored for a new message). */
  thread: string | null;
}

export interface EmailMessage {
  subject: string;
  html: string;
  text: string;
}

/** Where a sent message lives, so later state changes can update it or reply in its thread. */
export interface Receipt {
  slack?: { channel: string; ts: string };
  email?: { messageId: string };
  sms?: { sid: string };
  webhook?: { status: number };
}
