import { sha256HexPrefix } from "../core/hash.js";

/**
 * An alert's identity is its label set, as in Alertmanager: the same labels always give the same fingerprint,
 * whichever replica, producer or redelivery computes it. Annotations and values are not part of it.
 */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  // \u0000 and \u0001 cannot occur in label names and separate values unambiguously.
  const text = names.map((name) => `${name}\u0001${labels[name]}`).join("\u0000");
  return sha256HexPrefix(text, 16);
}
