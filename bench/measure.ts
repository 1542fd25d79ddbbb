// Timing, memory and CPU sampling shared by the rows.
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { cpus, availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** The result of one measured row, as the table and the JSON print it. */
export interface RowResult {
  row: string;
  label: string;
  rules: number | undefined;
  /** Events processed inside the measured interval. */
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Peak RSS of this (bench) process during the measured interval, MB. */
  peakRssMb: number | undefined;
  /** CPU time of this process / wall time (100% = one core busy). */
  cpuPercent: number | undefined;
  /** CPU time of nats-server / wall time, when it can be read (Linux /proc). */
  serverCpuPercent: number | undefined;
  ratios: Record<string, number>;
  details: Record<string, number | string | boolean>;
  note?: string;
}

export const now = (): number => performance.now();

/** The middle item by `key` (of an even count, the upper middle): a pass a noisy neighbour moved least. */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  if (items.length === 0) throw new Error("medianBy: no items");
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)] as T;
}

/** A real garbage collection between rows, so one row's leftovers inflate the next one's RSS less. */
let gcFn: (() => void) | undefined;
export function collectGarbage(): void {
  if (!gcFn) {
    setFlagsFromString("--expose-gc");
    gcFn = runInNewContext("gc") as () => void;
  }
  gcFn();
}

/** CPU ticks (user + system) of a process from /proc, or undefined elsewhere. */
function procCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the command: state is [0], utime is field 14 of the full line → [11], stime → [12].
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Samples RSS every 25 ms and CPU use at start and end, over one measured interval. `stop()` gives the figures;
 * the interval timer is unref'd, so a forgotten probe never keeps the process alive.
 */
export class Probe {
  private peakRss = process.memoryUsage.rss();
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = now();
  private readonly cpuStart = process.cpuUsage();
  private readonly serverCpuStart: number | undefined;

  constructor(private readonly serverPid?: number) {
    this.serverCpuStart = procCpuSeconds(serverPid);
    this.timer = setInterval(() => this.sample(), 25);
    this.timer.unref();
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRss) this.peakRss = rss;
  }

  stop(): { seconds: number; peakRssMb: number; cpuPercent: number; serverCpuPercent: number | undefined } {
    this.sample();
    clearInterval(this.timer);
    const seconds = (now() - this.startedAt) / 1_000;
    const cpu = process.cpuUsage(this.cpuStart);
    const serverEnd = procCpuSeconds(this.serverPid);
    return {
      seconds,
      peakRssMb: this.peakRss / 1_048_576,
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      serverCpuPercent: serverEnd !== undefined && this.serverCpuStart !== undefined ? ((serverEnd - this.serverCpuStart) / seconds) * 100 : undefined,
    };
  }
}

export function machine(): { node: string; cpu: string; cores: number; platform: string } {
  const list = cpus();
  return {
    node: process.version,
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    platform: `${process.platform}-${process.arch}`,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * CPU profile of one interval through the inspector (what `node --cpu-prof` records, but only for the part that
 * matters). `stop()` writes `<dir>/<name>.cpuprofile`, which Chrome DevTools and speedscope open.
 */
export async function startCpuProfile(dir: string, name: string): Promise<{ stop(): Promise<string> }> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${name}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      return file;
    },
  };
}
