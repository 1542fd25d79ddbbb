import type { HttpRoute } from "./server.js";

export interface HealthSources {
  /** The replica's name in answers, so a probe through a load balancer knows whom it asked. */
  instance: string;
  /** False once the engine is stopping: the process is on its way out. */
  alive(): boolean;
  readiness(): { ready: boolean; reasons: string[]; checks: Record<string, { ok: boolean; detail: string }> };
}

/**
 * `/healthz`: the process is alive and not shutting down (a liveness probe: restart me if this fails). It does not
 * depend on NATS, so a NATS outage or a long recovery does not get the replica killed. `/readyz`: the replica can do
 * its work now; 503 with the reasons when not. Both are public and say nothing secret.
 */
export function healthRoutes(sources: HealthSources): HttpRoute[] {
  return [
    {
      method: "GET",
      pattern: /^\/healthz$/,
      auth: "public",
      handle: async () => (sources.alive() ? { status: 200, body: { status: "alive", instance: sources.instance } } : { status: 503, body: { status: "stopping", instance: sources.instance } }),
    },
    {
      method: "GET",
      pattern: /^\/readyz$/,
      auth: "public",
      handle: async () => {
        const report = sources.readiness();
        return { status: report.ready ? 200 : 503, body: { instance: sources.instance, ...report } };
      },
    },
  ];
}

/**
 * While the engine is starting, the API routes that need its running stages are not there yet: this answers them
 * with 503 instead of a 404 or a failure. The engine removes it once started.
 */
export function startingGate(): HttpRoute[] {
  return ["GET", "POST", "PUT", "DELETE", "PATCH"].map((method) => ({
    method,
    pattern: /^\/(api|console)(\/|$)/,
    auth: "public" as const,
    handle: async () => ({ status: 503, body: { error: "the engine is starting; see /readyz" }, headers: { "retry-after": "5" } }),
  }));
}
