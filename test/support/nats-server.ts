// A real nats-server (with JetStream) per test, on a free port with a throw-away store directory.
//
// Usage:
//   const server = await NatsServerProcess.start();
//   try { ... connect({ servers: server.url }) ... } finally { await server.stop(); }
//
// Fault injection: `await server.kill()` (SIGKILL by default) then `await server.restart()` brings the
// server back on the same port and store directory, so JetStream data written before the kill survives.
//
// Servers are killed when the test process exits (normally, via process.exit, an uncaught exception or
// SIGINT/SIGTERM/SIGHUP). Nothing can clean up after a SIGKILL of the test process itself.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, rmSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, connect as tcpConnect } from "node:net";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { EmbeddedNatsServer, mappingsFromServerConfig } from "../../src/store/embedded/index.js";

export interface NatsServerOptions {
  /** Fixed port; by default a free random port is picked (and re-picked if another process grabs it first). */
  port?: number;
  /** Store directory; by default a fresh temp dir is created and `stop()` removes it. A given dir is never removed. */
  storeDir?: string;
  /** How long to wait for the server to accept connections with JetStream ready (default 15 s). */
  readyTimeoutMs?: number;
  /** Extra server configuration (e.g. subject `mappings`), written to a file beside the store and passed with -c. */
  config?: string;
}

/** Thrown when nats-server does not become ready; the message carries the server's output tail. */
export class NatsServerStartError extends Error {
  override readonly name = "NatsServerStartError";
  constructor(
    message: string,
    /** The server reported that its port was already taken. */
    readonly portInUse: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

interface Run {
  child: ChildProcess;
  /** What this run wrote to stdout/stderr, capped to the last OUTPUT_KEEP_CHARS. */
  output: string;
  exit: ExitInfo | undefined;
  exited: Promise<ExitInfo>;
}

const DEFAULT_READY_TIMEOUT_MS = 15_000;
const PROBE_TIMEOUT_MS = 2_000;
const PROBE_INTERVAL_MS = 20;
const RANDOM_PORT_ATTEMPTS = 5;
const SAME_PORT_ATTEMPTS = 3;
const OUTPUT_KEEP_CHARS = 16 * 1024;
const OUTPUT_TAIL_LINES = 25;
const PORT_IN_USE = /address already in use/i;
// 2.2+ logs "ID:       N...", older 2.x "Server id is N...".
const SERVER_ID = /\bID:\s+(N[A-Z0-9]+)|Server id is (N[A-Z0-9]+)/;
// Fallback for a log format without the id line.
const READY_LINE = /Server is ready/;

/** `NATS_SERVER_BIN`, else `nats-server` on PATH, else Debian's /usr/sbin/nats-server. */
export function resolveNatsServerBin(): string {
  const fromEnv = process.env["NATS_SERVER_BIN"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "nats-server");
    if (isExecutableFile(candidate)) return candidate;
  }
  return "/usr/sbin/nats-server";
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Binds port 0 on 127.0.0.1, reads the port the kernel chose and releases it. Racy by nature: callers retry. */
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = probe.address();
      probe.close(() => {
        if (address === null || typeof address === "string") reject(new Error("could not determine a free port"));
        else resolve(address.port);
      });
    });
  });
}

/** Resolves true if something accepts a TCP connection on 127.0.0.1:port. */
function acceptsTcp(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Connects as a NATS client and asks JetStream for account info; returns the id of the server that answered. */
async function probeJetStream(url: string, timeoutMs: number): Promise<string | undefined> {
  const nc = await connect({ servers: url, reconnect: false, timeout: timeoutMs, name: "klaxon-test-readiness" });
  try {
    const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
    await jsm.getAccountInfo();
    return nc.info?.server_id;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

function describeExit(exit: ExitInfo): string {
  if (exit.error) return `failed to run: ${exit.error.message}`;
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exit code ${String(exit.code)}`;
}

export class NatsServerProcess {
  static readonly #live = new Set<NatsServerProcess>();
  static #hooksInstalled = false;

  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly bin: string;
  readonly #ownsStoreDir: boolean;
  readonly #readyTimeoutMs: number;
  #run: Run | undefined;
  #stopping: Promise<void> | undefined;

  readonly #configFile: string | undefined;

  private constructor(bin: string, port: number, storeDir: string, ownsStoreDir: boolean, readyTimeoutMs: number, configFile?: string) {
    this.#configFile = configFile;
    this.bin = bin;
    this.port = port;
    this.url = `nats://127.0.0.1:${port}`;
    this.storeDir = storeDir;
    this.#ownsStoreDir = ownsStoreDir;
    this.#readyTimeoutMs = readyTimeoutMs;
  }

  /**
   * Starts a server and resolves once it accepts connections and JetStream answers. With KLAXON_TEST_NATS=embedded
   * the server is Klaxon's in-memory EmbeddedNatsServer instead, behind the same surface (no process: `pid` is
   * undefined, `kill` ignores the signal and keeps the memory state, as a file store would keep its data).
   */
  static async start(options: NatsServerOptions = {}): Promise<NatsServerProcess> {
    if (process.env["KLAXON_TEST_NATS"] === "embedded") return (await EmbeddedServerHandle.start(options)) as unknown as NatsServerProcess;
    NatsServerProcess.#installExitHooks();
    const bin = resolveNatsServerBin();
    const ownsStoreDir = options.storeDir === undefined;
    const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), "klaxon-nats-")));
    const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    let configFile: string | undefined;
    if (options.config !== undefined) {
      configFile = join(await mkdtemp(join(tmpdir(), "klaxon-nats-conf-")), "server.conf");
      await writeFile(configFile, options.config);
    }
    const attempts = options.port === undefined ? RANDOM_PORT_ATTEMPTS : 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const port = options.port ?? (await findFreePort());
      const server = new NatsServerProcess(bin, port, storeDir, ownsStoreDir, readyTimeoutMs, configFile);
      try {
        await server.#launch();
        return server;
      } catch (err) {
        await server.kill();
        NatsServerProcess.#live.delete(server);
        lastError = err;
        // Only a lost race for a randomly picked port is worth another try.
        if (!(err instanceof NatsServerStartError && err.portInUse)) break;
      }
    }
    if (ownsStoreDir) await rm(storeDir, { recursive: true, force: true });
    throw lastError;
  }

  /** True while the server process is running. */
  get running(): boolean {
    return this.#run !== undefined && this.#run.exit === undefined;
  }

  /** PID of the current server process, if one was spawned. */
  get pid(): number | undefined {
    return this.#run?.child.pid;
  }

  /** The last lines the current (or last) server process wrote to stdout/stderr. */
  outputTail(lines = OUTPUT_TAIL_LINES): string {
    return (this.#run?.output ?? "").trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Sends `signal` (SIGKILL by default) and waits for the process to exit. No-op if it is not running. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const run = this.#run;
    if (run === undefined || run.exit !== undefined) return;
    // Keep the event loop alive until the exit is observed (handles are unref'd while idle).
    run.child.ref();
    (run.child.stdout as Socket | null)?.ref();
    (run.child.stderr as Socket | null)?.ref();
    run.child.kill(signal);
    await run.exited;
  }

  /** Starts the server again on the same port and store dir (killing it first if needed) and waits until ready. */
  async restart(): Promise<void> {
    if (this.#stopping !== undefined) throw new Error("NatsServerProcess.restart() after stop()");
    await this.kill();
    let lastError: unknown;
    for (let attempt = 1; attempt <= SAME_PORT_ATTEMPTS; attempt++) {
      try {
        await this.#launch();
        return;
      } catch (err) {
        await this.kill();
        lastError = err;
        if (!(err instanceof NatsServerStartError && err.portInUse)) break;
        await sleep(100 * attempt);
      }
    }
    throw lastError;
  }

  /** Kills the server and removes the temp store dir it created. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.kill();
      NatsServerProcess.#live.delete(this);
      if (this.#ownsStoreDir) await rm(this.storeDir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }

  #args(): string[] {
    return [...(this.#configFile ? ["-c", this.#configFile] : []), "-js", "-a", "127.0.0.1", "-p", String(this.port), "-sd", this.storeDir];
  }

  async #launch(): Promise<void> {
    const child = spawn(this.bin, this.#args(), { stdio: ["ignore", "pipe", "pipe"] });
    let settle: (exit: ExitInfo) => void = () => undefined;
    const run: Run = {
      child,
      output: "",
      exit: undefined,
      exited: new Promise<ExitInfo>((resolve) => {
        settle = resolve;
      }),
    };
    const finish = (exit: ExitInfo) => {
      if (run.exit !== undefined) return;
      run.exit = exit;
      settle(exit);
    };
    // 'close' (not 'exit') so that the output tail is complete when we report it.
    child.once("close", (code, signal) => finish({ code, signal }));
    child.on("error", (error) => {
      if (child.pid === undefined) finish({ code: null, signal: null, error });
    });
    const append = (chunk: Buffer) => {
      run.output += chunk.toString("utf8");
      if (run.output.length > OUTPUT_KEEP_CHARS) run.output = run.output.slice(-OUTPUT_KEEP_CHARS);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    // A forgotten stop() must not keep the test process alive; the exit hook kills the server then.
    child.unref();
    (child.stdout as Socket | null)?.unref();
    (child.stderr as Socket | null)?.unref();
    this.#run = run;
    NatsServerProcess.#live.add(this);
    await this.#waitUntilReady(run);
  }

  async #waitUntilReady(run: Run): Promise<void> {
    const deadline = Date.now() + this.#readyTimeoutMs;
    let lastError: unknown;
    for (;;) {
      if (run.exit !== undefined) {
        const portInUse = PORT_IN_USE.test(run.output);
        throw this.#startError(`nats-server exited during start-up (${describeExit(run.exit)})`, portInUse, run.exit.error);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw this.#startError(`nats-server not ready within ${this.#readyTimeoutMs} ms`, false, lastError);
      }
      const probeTimeout = Math.min(PROBE_TIMEOUT_MS, remaining);
      // Another server may already be listening on the port (a lost race, or a fixed port that is taken): it
      // would answer our probes within milliseconds, before our process has even logged anything. So only a
      // server whose id matches the one our process logged counts as ready.
      const ownId = SERVER_ID.exec(run.output)?.slice(1).find((id) => id !== undefined);
      const loggedReady = READY_LINE.test(run.output);
      try {
        if ((ownId !== undefined || loggedReady) && (await acceptsTcp(this.port, probeTimeout))) {
          const serverId = await probeJetStream(this.url, probeTimeout);
          if (run.exit === undefined && (ownId === undefined || ownId === serverId)) return;
          lastError = new Error(`port ${this.port} answered by server ${String(serverId)}, not ours (${String(ownId)})`);
        }
      } catch (err) {
        lastError = err;
      }
      await Promise.race([sleep(PROBE_INTERVAL_MS), run.exited]);
    }
  }

  #startError(message: string, portInUse: boolean, cause: unknown): NatsServerStartError {
    const command = [this.bin, ...this.#args()].join(" ");
    const causeText = cause instanceof Error ? `\nlast error: ${cause.message}` : "";
    const tail = this.outputTail() || "(no output)";
    return new NatsServerStartError(
      `${message}\ncommand: ${command}${causeText}\n--- nats-server output (tail) ---\n${tail}`,
      portInUse,
      { cause },
    );
  }

  /** Synchronous last-chance cleanup, used from process exit/signal handlers. */
  #killNow(): void {
    const run = this.#run;
    if (run !== undefined && run.exit === undefined) {
      try {
        run.child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    if (this.#ownsStoreDir) {
      try {
        rmSync(this.storeDir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  }

  static #installExitHooks(): void {
    if (NatsServerProcess.#hooksInstalled) return;
    NatsServerProcess.#hooksInstalled = true;
    const killAll = () => {
      for (const server of NatsServerProcess.#live) server.#killNow();
      NatsServerProcess.#live.clear();
    };
    process.on("exit", killAll);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      const onSignal = () => {
        killAll();
        process.removeListener(signal, onSignal);
        // If nobody else handles the signal, restore the default behaviour (terminate by that signal).
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      };
      process.on(signal, onSignal);
    }
  }
}

/** Runs `fn` against a fresh server and always stops it afterwards. */
export async function withNatsServer<T>(
  fn: (server: NatsServerProcess) => Promise<T>,
  options?: NatsServerOptions,
): Promise<T> {
  const server = await NatsServerProcess.start(options);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/** NatsServerProcess's surface over an EmbeddedNatsServer (KLAXON_TEST_NATS=embedded). */
class EmbeddedServerHandle {
  readonly bin = "embedded";
  readonly pid: number | undefined = undefined;
  #stopping: Promise<void> | undefined;

  private constructor(
    readonly server: EmbeddedNatsServer,
    readonly storeDir: string,
    readonly ownsStoreDir: boolean,
  ) {}

  static async start(options: NatsServerOptions): Promise<EmbeddedServerHandle> {
    const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), "klaxon-nats-")));
    const server = await EmbeddedNatsServer.start({ ...(options.port === undefined ? {} : { port: options.port }), mappings: mappingsFromServerConfig(options.config ?? "") });
    return new EmbeddedServerHandle(server, storeDir, options.storeDir === undefined);
  }

  get url(): string {
    return this.server.url;
  }

  get port(): number {
    return this.server.port;
  }

  get running(): boolean {
    return this.server.running;
  }

  outputTail(): string {
    return "(embedded server: no output)";
  }

  kill(): Promise<void> {
    return this.server.kill();
  }

  restart(): Promise<void> {
    return this.server.restart();
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.server.stop();
      if (this.ownsStoreDir) await rm(this.storeDir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }
}
