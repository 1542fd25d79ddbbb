import { PERSON_CHANNELS, type PersonChannel } from "./model.js";

/** What the notify stage knows of a person: a contact per channel, and the order their notification rules use. */
export interface ContactBook {
  contacts: Readonly<Partial<Record<string, string>>>;
  notificationRules: ReadonlyArray<{ channel: string }>;
}

/**
 * The contact methods to try after `failed` did not work, in order: the person's notification rules' order first,
 * then any other channel they have a contact for, continuing after the failed channel and wrapping around. Channels
 * in `tried` are skipped: a fallback never loops.
 */
export function fallbackChain(person: ContactBook, failed: string, tried: readonly string[]): Array<{ channel: PersonChannel; address: string }> {
  const order: PersonChannel[] = [];
  for (const rule of person.notificationRules) if (isPersonChannel(rule.channel) && !order.includes(rule.channel)) order.push(rule.channel);
  for (const channel of PERSON_CHANNELS) if (!order.includes(channel)) order.push(channel);
  const start = order.indexOf(failed as PersonChannel);
  const rotated = start < 0 ? order : [...order.slice(start + 1), ...order.slice(0, start)];
  return rotated.flatMap((channel) => {
    const address = person.contacts[channel];
    return address && channel !== failed && !tried.includes(channel) ? [{ channel, address }] : [];
  });
}

export function isPersonChannel(channel: string): channel is PersonChannel {
  return (PERSON_CHANNELS as readonly string[]).includes(channel);
}
