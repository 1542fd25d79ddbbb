import type { Channels, SlackRef } from "../notify/channels/index.js";
import type { ChannelName } from "../notify/model.js";
import type { SentCheck } from "./notify-reconcile.js";

/**
 * How to find a message sent to a person: on Slack by the delivery id in the message metadata, by SMS by the digest
 * of the body the dead holder recorded before calling Twilio (none recorded: it never called). E-mail carries a
 * stable Message-ID that mail clients collapse, so it is sent again without asking.
 */
export function personSentCheck(channels: Channels, deliveryId: string, channel: ChannelName, address: string): SentCheck | undefined {
  switch (channel) {
    case "slack":
      return async ({ sinceMs }) => {
        const ref = await channels.slack.findPosted(address, deliveryId, sinceMs);
        return ref && { slack: ref };
      };
    case "sms":
      return async ({ sinceMs, contentDigest }) => {
        if (contentDigest === undefined) return undefined;
        const sent = await channels.sms.findSent(address, contentDigest, sinceMs);
        return sent && { sms: sent };
      };
    default:
      return undefined;
  }
}

/**
 * An update of a Slack message is chat.update (harmless to repeat) and a thread reply (not): it went out when the
 * reply is in the thread.
 */
export function threadReplyCheck(channels: Channels, thread: SlackRef, deliveryId: string): SentCheck {
  return async ({ sinceMs }) => ((await channels.slack.findReply(thread, deliveryId, sinceMs)) ? { slack: thread } : undefined);
}
