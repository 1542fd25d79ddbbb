import type { OnCallDirectory } from "../escalate/directory.js";
import type { Incident } from "../escalate/incident.js";
import { contentDigest } from "../notify/content-digest.js";
import { buildContext } from "../notify/context.js";
import { ChannelNotConfiguredError } from "../notify/errors.js";
import { fallbackChain } from "../notify/fallback.js";
import type { ChannelName, Purpose, Receipt, TemplateContext } from "../notify/model.js";
import type { DeliveryOutcome, DeliveryPlan, SendNotes } from "./notify-delivery.js";
import type { NotifyHandlerDeps } from "./notify-handler-deps.js";
import { personSentCheck, threadReplyCheck } from "./notify-lookups.js";
import { incidentStateKey, type IncidentUpdate, type PageMessageIn } from "./notify-messages.js";
import type { SentCheck } from "./notify-reconcile.js";
import type { DeliveryRecord } from "./notify-store.js";

export interface PageHandlerDeps extends NotifyHandlerDeps {
  directory: () => OnCallDirectory;
}

/**
 * Pages to people, and the updates that follow them. A page goes to the address the escalation stage resolved,
 * falling back through the person's other contact methods; an incident update rewrites every Slack message of the
 * incident and, for acknowledge and resolve, tells by e-mail and SMS whoever was reached that way.
 */
export class PageHandler {
  constructor(private readonly deps: PageHandlerDeps) {}

  async page(page: PageMessageIn, keepAlive: () => void): Promise<DeliveryOutcome> {
    const { facts, runner, clock, directory, config } = this.deps;
    const incident = await facts.incident(page.incidentId);
    const person = directory().users.get(page.user);
    const purpose: Purpose = page.level > 0 || page.round > 0 ? "escalated" : "firing";
    let context: Promise<TemplateContext> | undefined;
    const plan: DeliveryPlan = {
      id: page.id,
      kind: "page",
      incidentId: page.incidentId,
      groupId: page.groupId,
      user: page.user,
      first: { channel: page.channel, address: page.address },
      ...(person ? { fallbacks: (failed: ChannelName, tried: readonly ChannelName[]) => fallbackChain(person, failed, tried) } : {}),
      send: async (channel, address, notes) => {
        // Built once for every attempt and fallback, but a failure to build it (a NATS read timing out) is not kept:
        // kept, it failed every later attempt at once and sent the page down the fallback chain for no channel's fault.
        context ??= this.context(purpose, incident as Incident, page.user, page.title).catch((error: unknown) => {
          context = undefined;
          throw error;
        });
        return this.sendToPerson(page.id, channel, address, purpose, await context, page.groupId, false, notes);
      },
      findSent: (channel, address) => personSentCheck(this.deps.channels, page.id, channel, address),
    };
    if (!incident) return runner.skip(plan, "the incident no longer exists");
    if (incident.state !== "triggered") return runner.skip(plan, `the incident was ${incident.state} before the page went out`);
    if (clock.now() - page.dueAtMs > config.notify.maxAgeMs) return runner.skip(plan, `the page is older than notify.maxAgeMs (${config.notify.maxAgeMs} ms)`);
    return runner.run(plan, keepAlive);
  }

  /** Announce an incident's new state wherever it was paged. Returns when every target has been settled. */
  async update(update: IncidentUpdate, keepAlive: () => void): Promise<DeliveryOutcome[]> {
    const { facts, store, runner } = this.deps;
    const incident = await facts.incident(update.incidentId);
    // A later state is announced by its own update; announcing this one now would only show something stale.
    if (!incident || incidentStateKey(incident) !== update.stateKey) return [];
    const purpose = update.purpose;
    const delivered = (await store.deliveriesOf(incident.id)).filter((d) => d.kind === "page" && d.status === "sent");
    const plans: DeliveryPlan[] = [];
    const reached = new Set<string>();
    for (const page of delivered) {
      const suffix = page.id.slice(incident.id.length + 1);
      const id = `${incident.id}.u-${update.stateKey}.${suffix}`;
      const slackRef = page.receipt?.slack;
      if (page.channel === "slack" && slackRef) {
        const send = async (): Promise<Receipt> => this.deps.channels.slack.update(slackRef, this.deps.render.slack(purpose, await this.context(purpose, incident, page.user)), id);
        plans.push(this.updatePlan(id, incident, page, send, () => threadReplyCheck(this.deps.channels, slackRef, id)));
      } else if ((page.channel === "email" || page.channel === "sms") && purpose !== "escalated" && !reached.has(`${page.channel}:${page.address}`)) {
        // One e-mail or SMS per address: a person paged twice (two rounds) hears about the outcome once.
        reached.add(`${page.channel}:${page.address}`);
        const send = async (notes: SendNotes): Promise<Receipt> => this.sendToPerson(id, page.channel, page.address, purpose, await this.context(purpose, incident, page.user), incident.groupId, true, notes);
        plans.push(this.updatePlan(id, incident, page, send, () => personSentCheck(this.deps.channels, id, page.channel, page.address)));
      }
    }
    const groupRef = await store.slackGroupMessage(incident.groupId);
    if (groupRef) {
      const id = `${incident.id}.u-${update.stateKey}.group-slack`;
      plans.push({
        id,
        kind: "update",
        incidentId: incident.id,
        groupId: incident.groupId,
        first: { channel: "slack", address: groupRef.channel },
        send: async () => this.deps.channels.slack.update(groupRef, this.deps.render.slack(purpose, await this.context(purpose, incident, undefined)), id),
        findSent: () => threadReplyCheck(this.deps.channels, groupRef, id),
      });
    }
    const outcomes = await Promise.all(plans.map((plan) => runner.run(plan, keepAlive)));
    if (purpose === "resolved") await store.releaseReplyCode(incident.id);
    return outcomes;
  }

  /** An update goes where the page went, on that channel only (no fallbacks). */
  private updatePlan(id: string, incident: Incident, page: DeliveryRecord, send: (notes: SendNotes) => Promise<Receipt>, findSent: () => SentCheck | undefined): DeliveryPlan {
    return {
      id,
      kind: "update",
      incidentId: incident.id,
      groupId: incident.groupId,
      ...(page.user === undefined ? {} : { user: page.user }),
      first: { channel: page.channel, address: page.address },
      send: (_channel, _address, notes) => send(notes),
      findSent,
    };
  }

  private async sendToPerson(deliveryId: string, channel: ChannelName, address: string, purpose: Purpose, context: TemplateContext, groupId: string, followUp: boolean, notes: SendNotes): Promise<Receipt> {
    const { channels, render } = this.deps;
    switch (channel) {
      case "slack":
        return channels.slack.post(address, render.slack(purpose, context), deliveryId);
      case "email":
        return channels.email.send({ to: [address], deliveryId, threadKey: groupId, followUp }, render.email(purpose, context));
      case "sms": {
        // Twilio's log can only be searched by content: record what goes out, before it goes (see reconcile).
        const body = render.sms(purpose, context);
        await notes.content(contentDigest(body));
        return channels.sms.send(address, body);
      }
      case "webhook":
        throw new ChannelNotConfiguredError("webhook", "webhooks belong to receivers, not to people");
    }
  }

  private async context(purpose: Purpose, incident: Incident, user: string | undefined, title = incident.title): Promise<TemplateContext> {
    const { facts, store, clock } = this.deps;
    const [alerts, group, replyCode] = await Promise.all([
      facts.alerts(incident.alertFingerprints),
      facts.group(incident.groupId),
      incident.state === "resolved" ? undefined : store.replyCodeFor(incident.id),
    ]);
    return buildContext({
      purpose,
      title,
      receiver: incident.receiver,
      groupId: incident.groupId,
      groupLabels: group?.groupLabels ?? {},
      alerts,
      incident,
      ...(user === undefined ? {} : { recipient: { id: user, name: user } }),
      replyCode,
      atMs: clock.now(),
    });
  }
}
