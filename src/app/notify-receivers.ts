import type { Receiver } from "../alerts/routing.js";
import { buildContext, groupTitle, notificationTotals, type IncidentInput } from "../notify/context.js";
import type { Purpose } from "../notify/model.js";
import { webhookPayload } from "../notify/webhook-payload.js";
import type { DeliveryOutcome, DeliveryPlan } from "./notify-delivery.js";
import type { NotifyHandlerDeps } from "./notify-handler-deps.js";
import type { GroupNotificationIn } from "./notify-messages.js";
import type { SentCheck } from "./notify-reconcile.js";

export interface ReceiverHandlerDeps extends NotifyHandlerDeps {
  receivers: () => readonly Receiver[];
}

/**
 * A receiver's own channels (routes.json: `slack.channel`, `email.to`, `webhook.url`) get every group notification
 * of that receiver. In Slack a group is one message: the first notification posts it, later ones rewrite it and
 * reply in its thread, and the incident updates rewrite it too.
 */
export class ReceiverHandler {
  constructor(private readonly deps: ReceiverHandlerDeps) {}

  async notification(n: GroupNotificationIn, keepAlive: () => void): Promise<DeliveryOutcome[]> {
    const { receivers, runner, clock, config, channels, render, store } = this.deps;
    const receiver = receivers().find((r) => r.name === n.receiver);
    if (!receiver || (!receiver.slack && !receiver.email && !receiver.webhook)) return [];
    const base = `n.${n.id.replace(/[^A-Za-z0-9_-]/g, "-")}`;
    const alerts = [...n.firing, ...n.resolved];
    const purpose: Purpose = n.status === "resolved" ? "resolved" : "firing";
    const incident = await this.incident(receiver, n);
    const counts = notificationTotals(n);
    const title = groupTitle(alerts, n.groupLabels, counts.firing + counts.resolved);
    const context = buildContext({ purpose, title, receiver: n.receiver, groupId: n.groupId, groupLabels: n.groupLabels, alerts, counts, incident, atMs: n.atMs });
    const plans: DeliveryPlan[] = [];
    const common = { kind: "group" as const, groupId: n.groupId, ...(incident ? { incidentId: incident.id } : {}) };
    const slack = receiver.slack;
    if (slack) {
      const id = `${base}.slack`;
      plans.push({
        ...common,
        id,
        first: { channel: "slack", address: slack.channel },
        send: async () => {
          const message = render.slack(purpose, context);
          const posted = await store.slackGroupMessage(n.groupId);
          if (posted) return channels.slack.update(posted, message, id);
          const receipt = await channels.slack.post(slack.channel, message, id);
          await store.setSlackGroupMessage(n.groupId, receipt.slack);
          return receipt;
        },
        findSent: () => this.groupMessageCheck(slack.channel, n.groupId, id),
      });
    }
    const email = receiver.email;
    if (email) {
      const id = `${base}.email`;
      plans.push({
        ...common,
        id,
        first: { channel: "email", address: email.to.join(",") },
        send: () => channels.email.send({ to: email.to, deliveryId: id, threadKey: n.groupId, followUp: n.reason !== "first" }, render.email(purpose, context)),
      });
    }
    const webhook = receiver.webhook;
    if (webhook) {
      const id = `${base}.webhook`;
      plans.push({ ...common, id, first: { channel: "webhook", address: webhook.url }, send: () => channels.webhook.post(webhook.url, id, webhookPayload(id, n)) });
    }
    const stale = clock.now() - n.atMs > config.notify.maxAgeMs;
    return Promise.all(plans.map((plan) => (stale ? runner.skip(plan, `the notification is older than notify.maxAgeMs (${config.notify.maxAgeMs} ms)`) : runner.run(plan, keepAlive))));
  }

  /**
   * Whether a group's Slack delivery went out: as a reply under the group's message, or as the group's message itself,
   * which the dead holder may have posted without living to remember it (then it is remembered now, so the next
   * notification updates it instead of posting another).
   */
  private groupMessageCheck(address: string, groupId: string, deliveryId: string): SentCheck {
    const { channels, store } = this.deps;
    return async ({ sinceMs }) => {
      const posted = await store.slackGroupMessage(groupId);
      if (posted && (await channels.slack.findReply(posted, deliveryId, sinceMs))) return { slack: posted };
      const own = await channels.slack.findPosted(address, deliveryId, sinceMs);
      if (!own) return undefined;
      if (!posted) await store.setSlackGroupMessage(groupId, own);
      return { slack: own };
    };
  }

  /**
   * The incident behind a group, for the Acknowledge and Resolve buttons. The escalation stage opens it from this
   * same notification, maybe a moment later: its id is the notification's id with ":" made "-" (escalation-stage).
   */
  private async incident(receiver: Receiver, n: GroupNotificationIn): Promise<IncidentInput | undefined> {
    if (!receiver.policy) return undefined;
    const open = await this.deps.facts.openIncidentOf(n.groupId);
    if (open) return (await this.deps.facts.incident(open)) ?? { id: open, state: "triggered", level: 0, round: 0 };
    return n.status === "firing" && n.reason === "first" ? { id: n.id.replace(/:/g, "-"), state: "triggered", level: 0, round: 0 } : undefined;
  }
}
