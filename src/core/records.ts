/**
 * `{ ...a, ...b }` for plain records (own enumerable string keys, later sources winning), built by assignment.
 *
 * Why not the spread: on Node 20 (V8 11.3) an object literal that starts with a spread and goes on with more
 * properties or spreads gets a hidden class of its own, every time. Held by the hundred thousand (alert labels in a
 * storm) that was 100,000 hidden classes, ~33 MB, and every read of those objects went megamorphic. Objects built
 * by assignment from `{}` share their classes. A literal that only spreads (`{ ...a }`), or that spreads after its
 * own properties, is not affected.
 */
export function mergeRecords<V>(
  first: Readonly<Record<string, V>> | undefined,
  second?: Readonly<Record<string, V>>,
  third?: Readonly<Record<string, V>>,
): Record<string, V> {
  const out: Record<string, V> = {};
  if (first !== undefined) assignRecord(out, first);
  if (second !== undefined) assignRecord(out, second);
  if (third !== undefined) assignRecord(out, third);
  return out;
}

/** Copies `source`'s own enumerable string-keyed properties onto `target`, as a spread would define them. */
export function assignRecord<V>(target: Record<string, V>, source: Readonly<Record<string, V>>): Record<string, V> {
  // Object.assign is the fast copy, but it assigns: "__proto__" would set the prototype, where a spread defines an own
  // property. Records holding that name (JSON can) take the slow way.
  if (!Object.hasOwn(source, "__proto__")) return Object.assign(target, source);
  for (const name of Object.keys(source)) {
    Object.defineProperty(target, name, { value: source[name], enumerable: true, writable: true, configurable: true });
  }
  return target;
}

/** The values `map` holds under `keys`, in the keys' order; keys it does not hold are left out. */
export function valuesAt<K, V>(map: ReadonlyMap<K, V>, keys: readonly K[]): V[] {
  return keys.flatMap((key) => (map.has(key) ? [map.get(key) as V] : []));
}
