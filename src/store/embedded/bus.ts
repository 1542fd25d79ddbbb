// What JetStream needs from the server it lives in: send a message to whoever subscribes to a subject, and ask
// whether anyone does (pull requests and push consumers without a listener are not served).

export interface OutboundMessage {
  /** The subject the receiver sees; differs from the target when JetStream delivers a stored message to an inbox. */
  subject: string;
  reply?: string | undefined;
  headers?: Uint8Array | undefined;
  payload: Uint8Array;
}

export interface Bus {
  /** Delivers to every subscription matching `target`; false when nobody listens. */
  send(target: string, message: OutboundMessage): boolean;
  hasInterest(subject: string): boolean;
}

export const EMPTY = new Uint8Array(0);
