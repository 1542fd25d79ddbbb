import { DeliveryError } from "../errors.js";
import type { Receipt } from "../model.js";
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhookBody } from "../webhook-payload.js";
import type { WebhookSender } from "./types.js";

/**
 * JSON POST to a receiver's URL. The body is signed with HMAC-SHA256 over its exact bytes (`Klaxon-Signature`), and
 * `Klaxon-Delivery` carries the stable delivery id so the receiver can drop a repeat.
 */
export class WebhookChannel implements WebhookSender {
  constructor(
    private readonly secret: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  async post(url: string, deliveryId: string, payload: unknown): Promise<Receipt> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "klaxon-webhook/1", [DELIVERY_HEADER]: deliveryId };
    if (this.secret !== undefined) headers[SIGNATURE_HEADER] = signWebhookBody(this.secret, body);
    let response: Response;
    try {
      response = await fetch(url, { method: "POST", headers, body, redirect: "error", signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause?.code;
      throw new DeliveryError("webhook", `webhook POST failed (${typeof cause === "string" ? cause : error instanceof Error ? error.name : "unknown error"})`, { retryable: true });
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { webhook: { status: response.status } };
    const retryAfter = Number(response.headers.get("retry-after"));
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    throw new DeliveryError("webhook", `webhook answered HTTP ${response.status}`, {
      retryable,
      ...(response.status === 429 && Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1_000 } : {}),
    });
  }
}
