import type { LogControl } from "../app/log-control.js";
import type { HttpRoute } from "./server.js";

/**
 * The admin API for runtime log levels of this replica (the NATS control subject changes every replica at once):
 * `GET /api/v1/admin/log-level` lists each module's level and temporary changes; `PUT` with
 * `{"module": "alerts", "level": "debug", "expiresIn": "15m"}` changes one module (no `module`: all of them). Both
 * need a bearer token; the token's actor goes to the audit trail.
 */
export function adminRoutes(control: LogControl, instance: string): HttpRoute[] {
  return [
    {
      method: "GET",
      pattern: /^\/api\/v1\/admin\/log-level$/,
      auth: "token",
      handle: async () => ({ status: 200, body: { instance, modules: control.levels() } }),
    },
    {
      method: "PUT",
      pattern: /^\/api\/v1\/admin\/log-level$/,
      auth: "token",
      handle: async (context) => {
        const result = await control.request(await context.json(), { actor: context.actor as string, via: "http" });
        return { status: 200, body: { instance, ...result, modules: control.levels() } };
      },
    },
  ];
}
