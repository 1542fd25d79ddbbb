/**
 * Runs tasks one at a time in arrival order. Events, ticks, rule reloads and snapshots all touch the evaluator;
 * putting them in one lane keeps the evaluator single-threaded without locks.
 */
export class Lane {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
