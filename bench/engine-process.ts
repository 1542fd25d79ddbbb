// Rows 4-6 run the engine as `klaxon run` in a process of its own: its memory is then its own (peak RSS from
// /proc), and the bench's publisher and observers do not share its event loop.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { RECOMMENDED_NODE_FLAGS } from "../src/app/node-flags.js";
import type { RuleJson } from "./generate.js";
import { now, sleep } from "./measure.js";

/** A rules directory as a repository keeps it: one rule per file, plus routing and whatever else is given. */
export async function writeRulesRepo(rules: readonly RuleJson[], files: Record<string, unknown> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-bench-repo-"));
  await mkdir(join(dir, "alerts"));
  for (let i = 0; i < rules.length; i += 200) {
    await Promise.all(rules.slice(i, i + 200).map((rule) => writeFile(join(dir, "alerts", `${String(rule.id)}.json`), JSON.stringify(rule, null, 2))));
  }
  for (const [path, value] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), JSON.stringify(value, null, 2));
  }
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Peak resident set (VmHWM) and current RSS of a process, MB, from /proc; undefined elsewhere. */
export function memoryOf(pid: number | undefined): { peakRssMb: number; rssMb: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { peakRssMb: kb("VmHWM") / 1024, rssMb: kb("VmRSS") / 1024 };
  } catch {
    return undefined;
  }
}

/** Linux reports CPU times in /proc in USER_HZ ticks, 100 a second on every architecture it runs on. */
const USER_HZ = 100;

/** utime + stime of a /proc `stat` line, in seconds (fields 14 and 15; the command name may hold spaces). */
function cpuSecondsOfStat(path: string): number {
  const stat = readFileSync(path, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/**
 * CPU time a process has used, seconds: its main thread (the event loop, where the latency of row 4 is made) and the
 * whole process (GC helpers and libuv's threads too), from /proc; undefined elsewhere.
 */
export function cpuSecondsOf(pid: number | undefined): { mainThread: number; process: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    return { mainThread: cpuSecondsOfStat(`/proc/${pid}/task/${pid}/stat`), process: cpuSecondsOfStat(`/proc/${pid}/stat`) };
  } catch {
    return undefined;
  }
}

/** The repository. The engine runs from its build, as the Dockerfile and the README run it in production. */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUILT_ENGINE = join(ROOT, "dist", "src", "cli", "main.js");

let built: Promise<unknown> | undefined;

/** Node/V8 flags for the engine process: the recommended ones, as the Dockerfile runs it, unless told otherwise. */
let engineNodeFlags: readonly string[] = RECOMMENDED_NODE_FLAGS;

/** Where the engine process's whole output goes as well (`--engine-log`), e.g. with `--engine-flags=--trace-gc`. */
let engineLogFile: string | undefined;

/** Config merged over the engine's production defaults (`--engine-config`), e.g. another snapshot schedule. */
let engineConfigOverrides: Record<string, unknown> = {};

export function useEngineNodeFlags(flags: readonly string[], logFile?: string): void {
  engineNodeFlags = flags;
  engineLogFile = logFile;
}

export function useEngineConfig(overrides: Record<string, unknown>): void {
  engineConfigOverrides = overrides;
}

/** The node flags engine processes start with (row 4's reference relay starts with them too). */
export function engineFlags(): readonly string[] {
  return engineNodeFlags;
}

/**
 * `npm run build`, once per bench run, so the engine measured is the current sources compiled. Not through tsx: its
 * loader thread and source maps added ~80 MB to an idle engine's RSS (180 MB against 97 MB from the build).
 */
function buildEngine(): Promise<unknown> {
  built ??= promisify(execFile)("npm", ["run", "--silent", "build"], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).catch((error: unknown) => {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed; the bench measures the built engine:\n${stdout}${stderr}`);
  });
  return built;
}

/** Child processes still running (engines, the relay): killed if the bench exits without stopping them (a failed row). */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * Supervise a child of the bench: killed if the bench exits first; the last 8,000 characters it writes (stdout and
 * stderr) kept for the error that says why it failed, each chunk also handed to `copy`. Returns that tail's reader.
 */
export function supervise(child: ChildProcess, copy?: (chunk: Buffer) => void): () => string {
  live.add(child);
  child.once("exit", () => live.delete(child));
  let tail = "";
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString("utf8")).slice(-8_000);
    copy?.(chunk);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => tail;
}

export class EngineProcess {
  private readonly output: () => string;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly httpPort: number,
    readonly startedAt: number,
  ) {
    this.output = supervise(child, (chunk) => {
      if (engineLogFile) appendFileSync(engineLogFile, chunk);
    });
  }

  /**
   * `klaxon run` with production defaults except what `--engine-config` and `config` say, logging warnings only. Resolves once the
   * process is spawned; `ready()` waits for /readyz.
   */
  static async start(config: Record<string, unknown>): Promise<EngineProcess> {
    await buildEngine();
    const dir = await mkdtemp(join(tmpdir(), "klaxon-bench-engine-"));
    const httpPort = await freePort();
    const file = join(dir, "klaxon.json");
    await writeFile(file, JSON.stringify({ logLevel: "warn", watchRules: false, ...engineConfigOverrides, ...config, http: { port: httpPort } }, null, 2));
    const child = spawn(process.execPath, [...engineNodeFlags, BUILT_ENGINE, "run", "--config", file], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    return new EngineProcess(child, dir, httpPort, now());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Seconds from spawn until /readyz answers 200 (start-up: compiling, provisioning, recovery). */
  async ready(timeoutMs = 120_000): Promise<number> {
    const deadline = now() + timeoutMs;
    while (now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`the engine exited with ${this.child.exitCode}:\n${this.output()}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.httpPort}/readyz`);
        if (res.status === 200) return (now() - this.startedAt) / 1_000;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`the engine was not ready after ${timeoutMs / 1_000} s:\n${this.output()}`);
  }

  memory(): { peakRssMb: number; rssMb: number } | undefined {
    return memoryOf(this.pid);
  }

  /** What the engine logged last (warnings and errors), for a failed row's note. */
  get log(): string {
    return this.output();
  }

  /** SIGTERM (a clean stop with a final snapshot), SIGKILL if it takes longer than `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    await terminate(this.child, graceMs);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`; resolves once it has exited. */
export async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

