import type { KlaxonEvent } from "../ingest/event.schema.js";

/** The label each key field contributes to an alert. */
export const KEY_FIELD_LABEL: Readonly<Record<string, string>> = { source: "source", service: "service", name: "metric", level: "level" };

/** Separators of the canonical key; label names cannot contain them and event tokens cannot either. */
const NAME_END = "\u0001";
const VALUE_END = "\u0000";

/**
 * How one rule turns events (or `expect` entries) into the key of their series. Both directions must agree: the
 * series an `expect` entry seeds is the one its events later find.
 */
export interface SeriesKeyer {
  /** Key of the series an event belongs to; computed on every event, so it allocates as little as it can. */
  ofEvent(event: KlaxonEvent): string;
  /** Key of a series from its identity (expected series, snapshots). */
  ofIdentity(identity: Readonly<Record<string, string>>): string;
  /** The copy of an `ofEvent` key a new series keeps (see storedKey). */
  keep(key: string): string;
}

/**
 * Every (label name, value) pair a rule's key fields take from an event, in `keyBy` order; a name met again comes
 * again (the later value wins, as a property assignment would). "__proto__" is skipped: assigned, it sets no own
 * property. The one place that says what an event's key fields are, for identities and keys alike.
 */
function visitKeyFields(keyBy: readonly string[], event: KlaxonEvent, put: (name: string, value: string) => void): void {
  const labels = event.labels as Readonly<Record<string, string>> | undefined;
  for (let f = 0; f < keyBy.length; f++) {
    const field = keyBy[f] as string;
    if (field === "labels") {
      if (labels !== undefined) for (const name in labels) if (Object.hasOwn(labels, name) && name !== "__proto__") put(name, labels[name] as string);
    } else if (field.startsWith("labels.")) {
      const name = field.slice(7);
      const value = labels?.[name];
      if (value !== undefined && name !== "__proto__") put(name, value);
    } else {
      const value = (event as unknown as Record<string, unknown>)[field];
      if (typeof value === "string") put(KEY_FIELD_LABEL[field] ?? field, value);
    }
  }
}

/** Key field values of an event for one rule: what identifies its series, and its alert labels' base. */
export function identityOfEvent(keyBy: readonly string[], event: KlaxonEvent): Record<string, string> {
  const identity: Record<string, string> = {};
  visitKeyFields(keyBy, event, (name, value) => {
    identity[name] = value;
  });
  return identity;
}

/** The canonical key: every (name, value) pair in name order. Unambiguous for any identity. */
export function identityKey(identity: Readonly<Record<string, string>>): string {
  const names = Object.keys(identity);
  sortNames(names);
  let key = "";
  for (const name of names) key += `${name}${NAME_END}${identity[name]}${VALUE_END}`;
  return key;
}

/** In place, as Array#sort orders strings (by UTF-16 code units), without the scratch memory it allocates. */
function sortNames(names: string[]): void {
  for (let i = 1; i < names.length; i++) {
    const name = names[i] as string;
    let j = i - 1;
    while (j >= 0 && (names[j] as string) > name) {
      names[j + 1] = names[j] as string;
      j--;
    }
    names[j + 1] = name;
  }
}

/**
 * `identityKey(identityOfEvent(keyBy, event))`, the same string, without building the identity object and its key
 * list for every event: the (name, value) pairs go to scratch arrays reused from event to event. A name met again
 * replaces its value, as a property assignment would; "__proto__" is skipped, as assigning it sets no own property.
 */
function compositeKeyOfEvent(keyBy: readonly string[]): (event: KlaxonEvent) => string {
  const names: string[] = [];
  const values: string[] = [];
  let count = 0;
  const put = (name: string, value: string): void => {
    for (let i = 0; i < count; i++) {
      if (names[i] === name) {
        values[i] = value;
        return;
      }
    }
    names[count] = name;
    values[count] = value;
    count++;
  };
  return (event) => {
    count = 0;
    visitKeyFields(keyBy, event, put);
    // Insertion sort of the pairs by name, as sortNames orders them.
    for (let i = 1; i < count; i++) {
      const name = names[i] as string;
      const value = values[i] as string;
      let j = i - 1;
      while (j >= 0 && (names[j] as string) > name) {
        names[j + 1] = names[j] as string;
        values[j + 1] = values[j] as string;
        j--;
      }
      names[j + 1] = name;
      values[j + 1] = value;
    }
    let key = "";
    for (let i = 0; i < count; i++) key += `${names[i] as string}${NAME_END}${values[i] as string}${VALUE_END}`;
    // Scratch values are dropped, so they do not keep this event's strings alive.
    values.fill("", 0, count);
    return key;
  };
}

/**
 * Most rules key their series by one event field (`source`, `service`), and then the key is the field's value
 * itself: no string is built per event, and the value's hash is computed once however many rules look it up. A
 * canonical key always contains NAME_END, which such a value (a validated token or log level) never does, so the
 * two forms cannot collide; any other identity (an empty one or an empty value included) uses the canonical key.
 */
export function seriesKeyer(keyBy: readonly string[]): SeriesKeyer {
  const field = keyBy.length === 1 ? (keyBy[0] as string) : undefined;
  const label = field === undefined ? undefined : KEY_FIELD_LABEL[field];
  if (field === undefined || label === undefined) {
    // Building a composite key is the dear case; rules sharing a keyBy share a keyer (see KeyerCache), and the
    // rules one event matches are applied one after the other: remember the last event's key.
    const keyOfEvent = compositeKeyOfEvent(keyBy);
    let lastEvent: KlaxonEvent | undefined;
    let lastKey = "";
    return {
      ofEvent(event) {
        if (event !== lastEvent) {
          lastKey = keyOfEvent(event);
          lastEvent = event;
        }
        return lastKey;
      },
      ofIdentity: identityKey,
      keep: storedKey,
    };
  }
  const read = FIELD_READERS[field] as (event: KlaxonEvent) => unknown;
  return {
    ofEvent(event) {
      const value = read(event);
      if (typeof value !== "string") return "";
      return value.length === 0 || value.includes(NAME_END) ? identityKey({ [label]: value }) : value;
    },
    ofIdentity(identity) {
      const names = Object.keys(identity);
      const value = identity[label];
      if (names.length === 1 && value !== undefined && value.length > 0 && !value.includes(NAME_END)) return value;
      return identityKey(identity);
    },
    // The key is the event's own value, already one flat string: copying it would only cost (a rope is built here
    // only for an empty value or one holding the separator, rare enough to keep as it is).
    keep: (key) => key,
  };
}

/**
 * One reader per key field: `event[field]` with `field` a variable is one property access for every field and
 * event shape, which V8 leaves megamorphic (a hash probe per read); written out, each reads like a field.
 */
const FIELD_READERS: Readonly<Record<string, (event: KlaxonEvent) => unknown>> = {
  source: (event) => event.source,
  service: (event) => event.service,
  name: (event) => (event.type === "metric" ? event.name : undefined),
  level: (event) => (event.type === "log" ? event.level : undefined),
};

/**
 * The copy of a key a series keeps. A composite key is built by concatenation, which V8 holds as a rope of cons
 * strings: ~270 bytes for a 40-character key, for as long as the series lives (in a storm of 100,000 alerts, ~20 MB).
 * The copy is one flat string (~64 bytes); the JSON round trip is the plain way to get a string that is not a rope.
 * Once per new series, never per event.
 */
export function storedKey(key: string): string {
  // V8 never makes a rope of fewer than 13 characters.
  return key.length < 13 ? key : (JSON.parse(JSON.stringify(key)) as string);
}

/** One keyer per distinct keyBy, so that rules keyed alike share the composite key of the event at hand. */
export class KeyerCache {
  private readonly keyers = new Map<string, SeriesKeyer>();

  get(keyBy: readonly string[]): SeriesKeyer {
    // Key fields are names or "labels.<name>": a newline cannot occur in them.
    const signature = keyBy.join("\n");
    let keyer = this.keyers.get(signature);
    if (keyer === undefined) {
      keyer = seriesKeyer(keyBy);
      this.keyers.set(signature, keyer);
    }
    return keyer;
  }
}
