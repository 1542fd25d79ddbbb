import type { NatsConnection } from "@nats-io/transport-node";
import type { Config } from "../config/config.schema.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { OnCallDirectory } from "../escalate/directory.js";
import type { HttpRoute } from "../http/server.js";
import { SLACK_MAX_SKEW_MS } from "../notify/slack-signature.js";
import type { KvEscalationStore } from "../store/jetstream/escalation-store.js";
import type { EscalationService } from "./escalation-service.js";
import { readNotifySecrets } from "./notify-channels.js";
import { NotifyFacts } from "./notify-facts.js";
import { slackInteractivityRoute } from "./notify-slack-route.js";
import { twilioSmsRoute } from "./notify-sms-route.js";
import { NotifyStore } from "./notify-store.js";
import type { SilenceService } from "./silence-service.js";

export interface NotifyRoutesDeps {
  config: Config;
  nc: NatsConnection;
  clock: Clock;
  logger: Logger;
  escalationStore: KvEscalationStore;
  escalation: EscalationService;
  silences: SilenceService;
  directory: () => OnCallDirectory;
}

/**
 * The inbound side of the channels, served by every replica (a provider posts to whichever the load balancer
 * picks, not to the one running the notify stage): Slack interactivity at /slack/interactivity and Twilio inbound
 * SMS at /twilio/sms. Both authenticate by the provider's signature.
 */
export function notifyRoutes(deps: NotifyRoutesDeps): HttpRoute[] {
  const { config, clock, logger, directory } = deps;
  const secrets = readNotifySecrets(config.notify);
  let state: Promise<{ store: NotifyStore; facts: NotifyFacts }> | undefined;
  const openState = async (): Promise<{ store: NotifyStore; facts: NotifyFacts }> => ({
    store: await NotifyStore.open(deps.nc, config.notify.bucket, 2 * SLACK_MAX_SKEW_MS),
    facts: await NotifyFacts.open(deps.nc, config.state.alertBucket, deps.escalationStore),
  });
  const open = (): Promise<{ store: NotifyStore; facts: NotifyFacts }> => {
    state ??= openState().catch((error: unknown) => {
      state = undefined; // try again on the next request
      throw error;
    });
    return state;
  };
  return [
    slackInteractivityRoute({ signingSecret: secrets.slackSigningSecret, slackApiUrl: config.notify.slack.apiUrl, clock, logger, state: open, directory, escalation: deps.escalation, silences: deps.silences }),
    twilioSmsRoute({ authToken: secrets.twilioAuthToken, publicUrl: config.notify.sms.publicWebhookUrl, logger, store: async () => (await open()).store, directory, escalation: deps.escalation }),
  ];
}
