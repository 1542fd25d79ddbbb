// Prints each moment as it happens and lets the story wait for one ("until the orders incident escalates").
import { AppError } from "../../src/core/errors.js";
import { momentLine, type Moment } from "./moments.js";

/** The story waited for something that did not happen: the message names it. */
export class StoryStalledError extends AppError {}

interface Waiter {
  matches: (moment: Moment) => boolean;
  resolve: (moment: Moment) => void;
  timer: NodeJS.Timeout | undefined;
}

export class Narrator {
  private readonly seen: Moment[] = [];
  private waiters: Waiter[] = [];

  constructor(
    private readonly print: (line: string) => void,
    private readonly startMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  say(line: string): void {
    this.print(line);
  }

  record(moment: Moment): void {
    this.seen.push(moment);
    this.print(momentLine(moment, this.now() - this.startMs));
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (waiter.matches(moment)) waiter.resolve(moment);
      else this.waiters.push(waiter);
    }
  }

  moments(): readonly Moment[] {
    return this.seen;
  }

  /** The first moment (already seen or still to come) that matches; a StoryStalledError after `timeoutMs`, if given. */
  waitFor<M extends Moment>(what: string, matches: (moment: Moment) => moment is M, timeoutMs?: number): Promise<M> {
    const found = this.seen.find(matches);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<M>((resolve, reject) => {
      const waiter: Waiter = {
        matches,
        resolve: (moment) => {
          clearTimeout(waiter.timer);
          resolve(moment as M);
        },
        timer: undefined,
      };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new StoryStalledError(`the demo waited ${Math.round(timeoutMs / 1_000)} s for ${what}, and it did not happen`));
        }, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  /** The demo is stopping: nothing more is waited for (pending waits never settle, and hold no timer). */
  close(): void {
    for (const waiter of this.waiters) clearTimeout(waiter.timer);
    this.waiters = [];
  }
}
