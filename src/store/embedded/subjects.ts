// Subjects and who listens to them. Literal subscriptions (most of them: request inboxes, deliver subjects) are found
// by one map lookup; only wildcard subscriptions are matched token by token, so a publish costs O(wildcards).

/** True when `subject` (literal) is matched by `pattern` (may hold `*` for one token and a final `>` for the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const want = pattern.split(".");
  const have = subject.split(".");
  for (let i = 0; i < want.length; i++) {
    const token = want[i];
    if (token === ">") return have.length > i;
    if (i >= have.length) return false;
    if (token !== "*" && token !== have[i]) return false;
  }
  return want.length === have.length;
}

export function isWildcard(subject: string): boolean {
  return subject.split(".").some((token) => token === "*" || token === ">");
}

/** Two patterns could both match some subject (used to refuse streams whose subjects overlap). */
export function subjectsOverlap(a: string, b: string): boolean {
  const left = a.split(".");
  const right = b.split(".");
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    if (x === ">" || y === ">") return x !== undefined && y !== undefined;
    if (x === undefined || y === undefined) return false;
    if (x !== "*" && y !== "*" && x !== y) return false;
  }
  return true;
}

export function isValidSubject(subject: string, allowWildcards: boolean): boolean {
  if (subject === "" || /\s/.test(subject)) return false;
  const tokens = subject.split(".");
  return tokens.every((token, i) => token !== "" && (allowWildcards || (token !== "*" && token !== ">")) && (token !== ">" || i === tokens.length - 1));
}

export interface Subscription {
  readonly sid: string;
  readonly subject: string;
  readonly queue: string | undefined;
  /** The connection it belongs to, as the index sees it. */
  readonly owner: object;
}

export class SubscriptionIndex<S extends Subscription> {
  readonly #literal = new Map<string, Set<S>>();
  readonly #wildcard = new Set<S>();

  add(sub: S): void {
    if (isWildcard(sub.subject)) {
      this.#wildcard.add(sub);
      return;
    }
    let set = this.#literal.get(sub.subject);
    if (set === undefined) this.#literal.set(sub.subject, (set = new Set()));
    set.add(sub);
  }

  remove(sub: S): void {
    if (this.#wildcard.delete(sub)) return;
    const set = this.#literal.get(sub.subject);
    if (set === undefined) return;
    set.delete(sub);
    if (set.size === 0) this.#literal.delete(sub.subject);
  }

  /** Who receives a message on `subject`: every plain subscriber, and one member of each queue group. */
  receivers(subject: string): S[] {
    const matched: S[] = [...(this.#literal.get(subject) ?? [])];
    for (const sub of this.#wildcard) if (subjectMatches(sub.subject, subject)) matched.push(sub);
    if (!matched.some((sub) => sub.queue !== undefined)) return matched;
    const plain = matched.filter((sub) => sub.queue === undefined);
    const groups = new Map<string, S[]>();
    for (const sub of matched) {
      if (sub.queue === undefined) continue;
      const members = groups.get(sub.queue) ?? [];
      members.push(sub);
      groups.set(sub.queue, members);
    }
    for (const members of groups.values()) {
      const chosen = members[Math.floor(Math.random() * members.length)];
      if (chosen !== undefined) plain.push(chosen);
    }
    return plain;
  }

  hasInterest(subject: string): boolean {
    if ((this.#literal.get(subject)?.size ?? 0) > 0) return true;
    for (const sub of this.#wildcard) if (subjectMatches(sub.subject, subject)) return true;
    return false;
  }
}
