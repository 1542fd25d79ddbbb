import { createHash } from "node:crypto";

/**
 * SHA-256 (hex) of a text handed to a provider whose log can only be searched by content (SMS): stored on the
 * delivery record just before the send, it lets a replica that takes the delivery over recognise the message in the
 * provider's log, whatever a re-render would produce now (a template changed, an alert of the group resolved).
 */
export function contentDigest(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
