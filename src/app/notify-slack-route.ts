import { createHash } from "node:crypto";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { OnCallDirectory } from "../escalate/directory.js";
import { HttpError, type HttpRoute } from "../http/server.js";
import { parseSlackClick, type SlackClick } from "../notify/slack-actions.js";
import { verifySlackSignature } from "../notify/slack-signature.js";
import { IncidentNotFoundError } from "../store/jetstream/escalation-store.js";
import type { EscalationService } from "./escalation-service.js";
import type { NotifyFacts } from "./notify-facts.js";
import type { NotifyStore } from "./notify-store.js";
import type { SilenceService } from "./silence-service.js";

export const SLACK_INTERACTIVITY_PATH = "/slack/interactivity";

export interface SlackRouteDeps {
  signingSecret: string | undefined;
  /** Slack's API base: a response_url on its origin (or hooks.slack.com) is trusted, any other is not fetched. */
  slackApiUrl: string;
  clock: Clock;
  logger: Logger;
  /** Opened on first use: the routes are registered before NATS state is needed. */
  state: () => Promise<{ store: NotifyStore; facts: NotifyFacts }>;
  directory: () => OnCallDirectory;
  escalation: EscalationService;
  silences: SilenceService;
}

/**
 * Slack's interactivity endpoint: Acknowledge, Resolve and Silence 1h clicks on Klaxon's messages, acted on as the
 * Klaxon user whose `contacts.slack` is the clicking Slack member. The request must carry a valid v0 signature made
 * within five minutes, and each signature is accepted once (across replicas): anything else is 401 and changes
 * nothing. The answer to the person goes back through Slack's response_url, visible only to them.
 */
export function slackInteractivityRoute(deps: SlackRouteDeps): HttpRoute {
  return {
    method: "POST",
    pattern: new RegExp(`^${SLACK_INTERACTIVITY_PATH}$`),
    auth: "signature",
    async handle(request) {
      if (!deps.signingSecret) throw new HttpError(503, "Slack interactivity is not configured (notify.slack.signingSecretFile)");
      const body = await request.body();
      const header = (name: string): string | undefined => {
        const value = request.request.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const signature = header("x-slack-signature");
      const check = verifySlackSignature(deps.signingSecret, { timestamp: header("x-slack-request-timestamp"), signature }, body, deps.clock.now());
      if (!check.ok) throw new HttpError(401, `Slack signature rejected: ${check.reason}`);
      const { store, facts } = await deps.state();
      if (!(await store.firstSighting(`slack.${createHash("sha256").update(signature as string).digest("hex")}`))) {
        throw new HttpError(401, "Slack signature rejected: this request was already received (replay)");
      }
      const parsed = parseSlackClick(body.toString("utf8"));
      if (!parsed.ok) throw new HttpError(400, parsed.reason);
      const text = await act(parsed.click, deps, facts);
      await respond(parsed.click.responseUrl, text, deps);
      return { status: 200, body: { text } };
    },
  };
}

/** Do what the button says, as the Klaxon user behind the Slack member; return what to tell them. */
async function act(click: SlackClick, deps: SlackRouteDeps, facts: NotifyFacts): Promise<string> {
  const user = [...deps.directory().users.values()].find((u) => u.contacts.slack === click.slackUserId);
  if (!user) {
    deps.logger.warn({ slackUser: click.slackUserId, action: click.kind }, "Slack click from a member who is not in the users file; nothing changed");
    return `Klaxon does not know Slack member ${click.slackUserId}: add them to users/users.json (contacts.slack) to act from Slack. Nothing was changed.`;
  }
  try {
    if (click.kind === "silence") return await silence(click, user.id, deps, facts);
    if (!click.incidentId) return "This message has no incident behind it: there is nothing to acknowledge or resolve.";
    const change = click.kind === "acknowledge" ? await deps.escalation.acknowledge(click.incidentId, user.id, "slack") : await deps.escalation.resolve(click.incidentId, user.id, "slack");
    const verb = click.kind === "acknowledge" ? "Acknowledged" : "Resolved";
    return change.changed ? `${verb} by ${user.id}: ${change.incident.title}` : `Nothing to do: ${change.reason ?? "unchanged"}.`;
  } catch (error) {
    if (error instanceof IncidentNotFoundError) return `Incident ${click.incidentId ?? ""} is not known (yet): try again in a moment. Nothing was changed.`;
    throw error;
  }
}

/** Silence 1h mutes the group's alerts by its group labels (or, for a group of everything, the labels all alerts share). */
async function silence(click: SlackClick, actor: string, deps: SlackRouteDeps, facts: NotifyFacts): Promise<string> {
  const group = await facts.group(click.groupId);
  if (!group) return "This group's alerts have all resolved: there is nothing left to silence.";
  let labels = group.groupLabels;
  if (Object.keys(labels).length === 0) {
    // The alerts the receiver was last shown (records of the earlier layout list every member).
    const alerts = await facts.alerts(group.fingerprints ?? group.notifiedFiring);
    labels = Object.fromEntries(Object.entries(alerts[0]?.labels ?? {}).filter(([name, value]) => alerts.every((a) => a.labels[name] === value)));
  }
  if (Object.keys(labels).length === 0) return "These alerts share no label to silence them by; use klaxon silence add instead.";
  const matchers = Object.entries(labels).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  const created = await deps.silences.create({ matchers, duration: "1h", comment: `Silence 1h from Slack by ${actor}` }, actor, "slack");
  return `Silenced for 1 hour by ${actor} (${matchers.join(", ")}); silence ${created.id}.`;
}

async function respond(url: string | undefined, text: string, deps: SlackRouteDeps): Promise<void> {
  if (!url) return;
  const allowed = [new URL(deps.slackApiUrl).origin, "https://hooks.slack.com"];
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return;
  }
  if (!allowed.includes(target.origin)) {
    deps.logger.warn({ origin: target.origin }, "Slack response_url is not on a Slack origin; not answering there");
    return;
  }
  await fetch(target, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ response_type: "ephemeral", replace_original: false, text }),
    signal: AbortSignal.timeout(5_000),
  }).catch((error: unknown) => deps.logger.warn({ err: String(error) }, "could not answer the Slack click through response_url"));
}
