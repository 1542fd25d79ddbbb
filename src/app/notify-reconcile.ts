import type { Receipt } from "../notify/model.js";
import type { DeliveryRecord } from "./notify-store.js";

/** What a provider lookup has to go on. */
export interface SentQuery {
  /** Nothing older can be ours: the delivery's start, less the skew allowed between our clock and the provider's. */
  sinceMs: number;
  /** What was handed to the provider, for a channel searched by content (SMS); undefined: it was never called. */
  contentDigest: string | undefined;
}

/** Asks one channel's provider whether a delivery went out: its receipt if so, undefined if not; throws if it cannot say. */
export type SentCheck = (query: SentQuery) => Promise<Receipt | undefined>;

/** Our clock and a provider's may disagree, and a request may sit in its queue: look back this far before the start. */
export const PROVIDER_LOOKBACK_MS = 60_000;

export type Reconciled =
  | { outcome: "found"; receipt: Receipt }
  | { outcome: "not_found" }
  /** The provider could not be asked (down, rate limited, too much to read). */
  | { outcome: "failed"; error: string }
  /** Nothing to ask: the channel's receiver drops repeats itself (e-mail by Message-ID, webhooks by delivery id). */
  | { outcome: "unchecked" };

/**
 * Whether a delivery taken over from a holder that died mid-send already went out, by asking the provider. Only a
 * takeover asks: the normal path never pays for a lookup.
 */
export async function askProvider(check: SentCheck | undefined, taken: DeliveryRecord): Promise<Reconciled> {
  if (!check) return { outcome: "unchecked" };
  try {
    const receipt = await check({ sinceMs: taken.startedAtMs - PROVIDER_LOOKBACK_MS, contentDigest: taken.contentDigest });
    return receipt ? { outcome: "found", receipt } : { outcome: "not_found" };
  } catch (error) {
    return { outcome: "failed", error: error instanceof Error ? error.message : String(error) };
  }
}
