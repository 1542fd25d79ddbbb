import type { NatsConnection } from "@nats-io/transport-node";

export interface ReadinessCheck {
  ok: boolean;
  detail: string;
}

export interface ReadinessReport {
  ready: boolean;
  /** One line per failed check, "<check>: <why>": what /readyz answers with its 503. */
  reasons: string[];
  checks: { nats: ReadinessCheck; rules: ReadinessCheck; consumers: ReadinessCheck };
}

/** What readiness reads from the engine when asked, so it is never out of date. */
export interface ReadinessSources {
  /** The roles this replica holds (evaluation partitions, coordinator). */
  heldRoles(): readonly string[];
  /** The rule set read from the rules directory, or undefined before it was read. */
  rules(): { count: number; hash: string } | undefined;
  stopping(): boolean;
}

type NatsState = "connecting" | "connected" | "disconnected" | "closed";

/**
 * Whether this replica can do its work now: connected to NATS, every role it holds running on its durable consumer
 * (and those consumers present on the server), rules loaded and in use. `/readyz` reports it; the heartbeat is
 * sent only while it holds, so a replica that cannot work stops saying it is alive.
 */
export class Readiness {
  private nats: NatsState = "connecting";
  private joined = false;
  private readonly started = new Set<string>();
  private readonly missing = new Map<string, string>();

  constructor(
    private readonly sources: ReadinessSources,
    /** For the connection gauge and the reconnect counter. */
    private readonly onNatsChange: (connected: boolean, reconnected: boolean) => void = () => undefined,
  ) {}

  /** Follow the connection's status from now on (it is connected when this is called). */
  watch(nc: NatsConnection): void {
    this.connectionStatus("connected");
    void (async () => {
      for await (const status of nc.status()) this.connectionStatus(status.type);
    })();
    void nc.closed().then(() => this.connectionStatus("close"));
  }

  /** A NATS status event (`disconnect`, `reconnect`, `close`; others say nothing about being connected). */
  connectionStatus(type: string): void {
    if (type === "connected") this.setNats("connected");
    else if (type === "disconnect") this.setNats("disconnected");
    else if (type === "reconnect") this.setNats("connected", true);
    else if (type === "close") this.setNats("closed");
  }

  /** The replica has joined the cluster: its first share of the roles is decided (and started). */
  markJoined(): void {
    this.joined = true;
  }

  roleStarted(role: string): void {
    this.started.add(role);
  }

  roleStopped(role: string): void {
    this.started.delete(role);
  }

  /** From the consumer poll: a durable consumer the stages read is present on the server, or is not. */
  consumerPresent(name: string, present: boolean, detail = ""): void {
    if (present) this.missing.delete(name);
    else this.missing.set(name, detail);
  }

  get natsConnected(): boolean {
    return this.nats === "connected";
  }

  report(): ReadinessReport {
    const checks = { nats: this.natsCheck(), rules: this.rulesCheck(), consumers: this.consumersCheck() };
    const reasons = Object.entries(checks).flatMap(([name, check]) => (check.ok ? [] : [`${name}: ${check.detail}`]));
    if (this.sources.stopping()) reasons.unshift("engine: stopping");
    return { ready: reasons.length === 0, reasons, checks };
  }

  private setNats(state: NatsState, reconnected = false): void {
    if (this.nats === "closed") return;
    this.nats = state;
    this.onNatsChange(state === "connected", reconnected);
  }

  private natsCheck(): ReadinessCheck {
    const detail = { connecting: "not connected yet (retrying)", connected: "connected", disconnected: "disconnected (reconnecting)", closed: "connection closed" }[this.nats];
    return { ok: this.nats === "connected", detail };
  }

  private heldRoles(): readonly string[] | undefined {
    return this.joined ? this.sources.heldRoles() : undefined;
  }

  private notStarted(): string[] {
    return (this.heldRoles() ?? []).filter((role) => !this.started.has(role));
  }

  private rulesCheck(): ReadinessCheck {
    const rules = this.sources.rules();
    if (!rules) return { ok: false, detail: "not loaded yet" };
    const loaded = `${rules.count} rule${rules.count === 1 ? "" : "s"} (hash ${rules.hash.slice(0, 12)})`;
    if (this.heldRoles() === undefined) return { ok: false, detail: `${loaded} read, not in use yet: the replica has not joined the cluster` };
    const starting = this.notStarted();
    if (starting.length > 0) return { ok: false, detail: `${loaded} read; still recovering state for ${starting.join(", ")}` };
    return { ok: true, detail: `${loaded} loaded and in use` };
  }

  private consumersCheck(): ReadinessCheck {
    const held = this.heldRoles();
    if (held === undefined) return { ok: false, detail: "not bound: the replica has not joined the cluster" };
    const problems = [
      ...this.notStarted().map((role) => `${role} starting`),
      ...[...this.missing].map(([name, why]) => `${name} missing on the server${why ? ` (${why})` : ""}`),
    ];
    if (problems.length > 0) return { ok: false, detail: problems.join("; ") };
    return { ok: true, detail: held.length === 0 ? "no role held here (standby replica)" : `bound for ${[...held].sort().join(", ")}` };
  }
}
