import type { WebClient } from "@slack/web-api";
import { DeliveryError } from "../errors.js";
import { callSlack } from "./slack-errors.js";

/** Where a Slack message lives: what chat.update and thread replies need. */
export interface SlackRef {
  channel: string;
  ts: string;
}

/** The Slack message metadata event every Klaxon message carries: which delivery posted it. */
export const DELIVERY_EVENT_TYPE = "klaxon_delivery";

export function deliveryMetadata(deliveryId: string): { event_type: string; event_payload: { delivery: string } } {
  return { event_type: DELIVERY_EVENT_TYPE, event_payload: { delivery: deliveryId } };
}

/** Slack's `oldest`: seconds, with the microseconds its message timestamps carry. */
export function slackTimestamp(ms: number): string {
  return (ms / 1_000).toFixed(6);
}

const PAGE_SIZE = 200;
/**
 * How far a lookup reads before giving up. A person paged hundreds of times within a lease is possible (a storm);
 * past this many messages we cannot tell, and the caller sends again rather than guess.
 */
const MAX_PAGES = 25;

interface MessagePage {
  messages?: Array<{ ts?: string; metadata?: { event_type?: string; event_payload?: unknown } }>;
  has_more?: boolean;
  response_metadata?: { next_cursor?: string };
}

/**
 * Finds a message a delivery posted, by the delivery id in its metadata. Only used when a delivery is taken over
 * from a replica that died mid-send, so none of this is on the normal path.
 */
export class SlackLookup {
  /** Channel name → id, from conversations.list; names change rarely and lookups are rare. */
  private readonly channelIds = new Map<string, string>();

  constructor(private readonly client: WebClient) {}

  /** The top-level message `deliveryId` posted in `channel` (an id) after `sinceMs`. */
  inHistory(channel: string, deliveryId: string, sinceMs: number): Promise<SlackRef | undefined> {
    return this.scan("conversations.history", channel, deliveryId, (cursor) =>
      this.client.conversations.history({ channel, oldest: slackTimestamp(sinceMs), include_all_metadata: true, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }),
    );
  }

  /** The reply `deliveryId` posted in the thread of `thread` after `sinceMs`. */
  inThread(thread: SlackRef, deliveryId: string, sinceMs: number): Promise<SlackRef | undefined> {
    return this.scan("conversations.replies", thread.channel, deliveryId, (cursor) =>
      this.client.conversations.replies({ channel: thread.channel, ts: thread.ts, oldest: slackTimestamp(sinceMs), include_all_metadata: true, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }),
    );
  }

  /** The id of a channel known by name (`#ops` or `ops`): conversations.history takes ids only. */
  async channelId(name: string): Promise<string> {
    const bare = name.replace(/^#/, "");
    let cursor: string | undefined;
    for (let pages = 0; !this.channelIds.has(bare) && pages < MAX_PAGES; pages++) {
      const answer = await callSlack("conversations.list", () =>
        this.client.conversations.list({ types: "public_channel,private_channel", exclude_archived: true, limit: 1_000, ...(cursor ? { cursor } : {}) }),
      );
      for (const channel of answer.channels ?? []) if (channel.name && channel.id) this.channelIds.set(channel.name, channel.id);
      cursor = answer.response_metadata?.next_cursor;
      if (!cursor) break;
    }
    const id = this.channelIds.get(bare);
    if (!id) throw new DeliveryError("slack", `Slack conversations.list: no channel named ${bare} is visible to the bot`, { retryable: false });
    return id;
  }

  private async scan(method: string, channel: string, deliveryId: string, page: (cursor: string | undefined) => Promise<MessagePage>): Promise<SlackRef | undefined> {
    let cursor: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const answer = await callSlack(method, () => page(cursor));
      const hit = answer.messages?.find((m) => m.metadata?.event_type === DELIVERY_EVENT_TYPE && (m.metadata.event_payload as { delivery?: unknown } | undefined)?.delivery === deliveryId);
      if (hit?.ts) return { channel, ts: hit.ts };
      cursor = answer.response_metadata?.next_cursor;
      if (!answer.has_more || !cursor) return undefined;
    }
    throw new DeliveryError("slack", `Slack ${method}: more than ${MAX_PAGES * PAGE_SIZE} messages since the delivery started; cannot tell whether it went out`, { retryable: false });
  }
}
