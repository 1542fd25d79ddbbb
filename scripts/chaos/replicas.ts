import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";

/**
 * `klaxon run` replicas as real child processes, so that a kill is a real SIGKILL: no graceful path, no
 * `finally`, sockets cut mid-write. Each replica's output goes to its own log file for post-mortems.
 */
export class ReplicaSet {
  private readonly children = new Map<string, ChildProcess>();
  readonly kills: Array<{ id: string; atMs: number }> = [];
  readonly pauses: Array<{ id: string; atMs: number; forMs: number }> = [];

  constructor(
    private readonly options: { configFile: string; logDir: string; entry: string; env?: NodeJS.ProcessEnv },
  ) {}

  get running(): string[] {
    return [...this.children.keys()];
  }

  start(id: string): void {
    if (this.children.has(id)) return;
    const log = createWriteStream(join(this.options.logDir, `${id}.log`), { flags: "a" });
    const child = spawn(process.execPath, ["--import", "tsx", this.options.entry, "run", "--config", this.options.configFile, "--instance", id], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...this.options.env },
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    child.once("exit", () => {
      if (this.children.get(id) === child) this.children.delete(id);
    });
    this.children.set(id, child);
  }

  /** SIGKILL: the replica dies between two instructions. */
  async kill(id: string): Promise<void> {
    const child = this.children.get(id);
    if (!child) return;
    this.kills.push({ id, atMs: Date.now() });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /**
   * SIGSTOP, then SIGCONT after `forMs`: the replica stands still (a long GC pause, a VM descheduled, a laptop lid)
   * and goes on where it was, unaware; meanwhile its leases run out and others take its roles.
   */
  pause(id: string, forMs: number): Promise<void> {
    const child = this.children.get(id);
    if (!child) return Promise.resolve();
    this.pauses.push({ id, atMs: Date.now(), forMs });
    child.kill("SIGSTOP");
    return new Promise((resolve) =>
      setTimeout(() => {
        child.kill("SIGCONT");
        resolve();
      }, forMs),
    );
  }

  /** SIGTERM and wait: the graceful stop operators use. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill("SIGCONT");
            child.kill("SIGTERM");
          }),
      ),
    );
  }
}
