import { z } from "zod";

/** The button ids our Slack templates use, and what each does. */
export const SLACK_ACTIONS = { klaxon_ack: "acknowledge", klaxon_resolve: "resolve", klaxon_silence_1h: "silence" } as const;
export type SlackActionKind = (typeof SLACK_ACTIONS)[keyof typeof SLACK_ACTIONS];

const actionValueSchema = z.strictObject({ incident: z.string().min(1).nullable(), group: z.string().min(1) });

/** The parts of a Slack `block_actions` interactivity payload we read; Slack sends much more, which is ignored. */
const blockActionsSchema = z.object({
  type: z.literal("block_actions"),
  user: z.object({ id: z.string().min(1), username: z.string().optional(), name: z.string().optional() }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
  response_url: z.string().optional(),
});

export interface SlackClick {
  kind: SlackActionKind;
  slackUserId: string;
  incidentId: string | null;
  groupId: string;
  responseUrl: string | undefined;
}

export type ParsedClick = { ok: true; click: SlackClick } | { ok: false; reason: string };

/** The form body Slack posts (`payload=<json>`) → the click, or why it is not one of ours. */
export function parseSlackClick(formBody: string): ParsedClick {
  const raw = new URLSearchParams(formBody).get("payload");
  if (raw === null) return { ok: false, reason: "no payload field in the form body" };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "payload is not JSON" };
  }
  const parsed = blockActionsSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: "not a block_actions payload from a Klaxon message" };
  const action = parsed.data.actions[0] as { action_id: string; value?: string };
  const kind = SLACK_ACTIONS[action.action_id as keyof typeof SLACK_ACTIONS];
  if (!kind) return { ok: false, reason: `unknown action ${JSON.stringify(action.action_id)}` };
  let value: z.output<typeof actionValueSchema>;
  try {
    value = actionValueSchema.parse(JSON.parse(action.value ?? ""));
  } catch {
    return { ok: false, reason: "the button carries no Klaxon reference" };
  }
  return {
    ok: true,
    click: { kind, slackUserId: parsed.data.user.id, incidentId: value.incident, groupId: value.group, responseUrl: parsed.data.response_url },
  };
}
