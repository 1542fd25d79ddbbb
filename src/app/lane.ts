/**
 * Runs tasks one at a time in arrival order. Events, ticks, rule reloads and snapshots all touch the evaluator;
 * putting them in one lane keeps the evaluator single-threaded without locks.
 */
export class Lane {
  private tail: Promise<unknown> = Promise.resolve();
  /** Tasks queued or running. */
  private pending = 0;
  private readonly release = (): void => {
    this.pending--;
  };

  /** Nothing queued or running: a task may run at once, in the caller's turn, with no promise made for it. */
  get isIdle(): boolean {
    return this.pending === 0;
  }

  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task);
    this.tail = result.then(this.release, this.release);
    return result;
  }

  /** A task started at once while the lane was idle, still running: nothing else starts until it settles. */
  hold<T>(running: Promise<T>): Promise<T> {
    this.pending++;
    this.tail = running.then(this.release, this.release);
    return running;
  }

  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

/**
 * A lane per key, made on first use and dropped once its last task settles: tasks of one key (an incident, a group)
 * run one at a time in arrival order, tasks of different keys side by side.
 */
export class KeyedLanes {
  private readonly lanes = new Map<string, { lane: Lane; users: number }>();

  run<T>(key: string, task: () => T | Promise<T>): Promise<T> {
    let entry = this.lanes.get(key);
    if (entry === undefined) {
      entry = { lane: new Lane(), users: 0 };
      this.lanes.set(key, entry);
    }
    entry.users++;
    const settled = entry;
    return settled.lane.run(task).finally(() => {
      if (--settled.users === 0 && this.lanes.get(key) === settled) this.lanes.delete(key);
    });
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.lanes.size;
  }
}
