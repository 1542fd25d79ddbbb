// Starts and stops bench/relay.ts (row 4's reference) in a process of its own, with the engine's node flags.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { engineFlags, supervise, terminate } from "./engine-process.js";

const RELAY = fileURLToPath(new URL("relay.ts", import.meta.url));

export class RelayProcess {
  private readonly output: () => string;

  private constructor(private readonly child: ChildProcess) {
    this.output = supervise(child);
  }

  /**
   * Resolves once the relay consumes (it provisions the streams and consumers first, as the engine would);
   * `workMicroseconds` of busy work per event stand in for an engine's.
   */
  static async start(natsUrl: string, workMicroseconds = 0, timeoutMs = 60_000): Promise<RelayProcess> {
    const child = spawn(process.execPath, [...engineFlags(), "--import", "tsx", RELAY, natsUrl, String(workMicroseconds)], { stdio: ["ignore", "pipe", "pipe"] });
    const relay = new RelayProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the relay was not ready after ${timeoutMs / 1_000} s:\n${relay.output()}`)), timeoutMs);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the relay exited with ${String(code)}:\n${relay.output()}`));
      });
      child.stdout?.on("data", () => {
        if (relay.output().includes("ready\n")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return relay;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM; SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs = 10_000): Promise<void> {
    return terminate(this.child, graceMs);
  }
}
