import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { ValidationError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { TokenAuth } from "../http/tokens.js";
import type { LogControl } from "./log-control.js";

const encoder = new TextEncoder();

export interface ControlSubjectDeps {
  nc: NatsConnection;
  /** e.g. `klaxon.control.log`. */
  subject: string;
  control: LogControl;
  /** The same bearer tokens as the HTTP API, sent in the `Authorization` header of the request. */
  auth: TokenAuth;
  instance: string;
  logger: Logger;
}

/**
 * Log levels over NATS request/reply. Every replica subscribes without a queue group, so each one applies a change and
 * answers for itself (collect the answers with a multi-reply request). An empty body asks for the current levels.
 * Answers: `{instance, ok: true, changes, modules}` or `{instance, ok: false, status, error}` with HTTP-like statuses.
 */
export class LogControlSubject {
  private subscription: Subscription | undefined;

  constructor(private readonly deps: ControlSubjectDeps) {}

  start(): void {
    this.subscription = this.deps.nc.subscribe(this.deps.subject, { callback: (_error, msg) => void this.handle(msg) });
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  private async handle(msg: Msg): Promise<void> {
    const { instance, control } = this.deps;
    const answer = (body: Record<string, unknown>): void => {
      if (msg.reply) msg.respond(encoder.encode(JSON.stringify({ instance, ...body })));
    };
    const actor = this.deps.auth.authenticate(msg.headers?.get("Authorization").trim());
    if (!actor) return answer({ ok: false, status: 401, error: "a valid bearer token is required in the Authorization header (Bearer <token>)" });
    if (msg.data.length === 0) return answer({ ok: true, modules: control.levels() });
    let body: unknown;
    try {
      body = msg.json();
    } catch (error) {
      return answer({ ok: false, status: 400, error: `body is not valid JSON: ${(error as Error).message}` });
    }
    try {
      const result = await control.request(body, { actor, via: "nats" });
      answer({ ok: true, ...result, modules: control.levels() });
    } catch (error) {
      if (error instanceof ValidationError) return answer({ ok: false, status: 400, error: "invalid request", issues: error.issues.map((i) => ({ path: i.path, message: i.message })) });
      this.deps.logger.error({ err: error }, "log level change over NATS failed");
      answer({ ok: false, status: 500, error: "internal error; see the engine log" });
    }
  }
}
