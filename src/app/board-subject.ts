import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { boardRowsSchema, type AlertBoard } from "../alerts/alert-board.js";
import type { Config } from "../config/config.schema.js";
import type { Logger } from "../core/logger.js";

const encoder = new TextEncoder();

/**
 * Where the coordinator answers for the console's alert board. Named after the alert-state bucket as well, so that two
 * deployments sharing one NATS never answer for each other.
 */
export function boardSubject(config: Pick<Config, "control" | "state">): string {
  return `${config.control.subject}.board.${config.state.alertBucket}`;
}

/**
 * The coordinator's side: answers `{ "rows": n }` with its board, so that a console served by another replica costs
 * no scan of the state store (~5 s with 100,000 alerts, every 10-second refresh). A stage of the coordinator's role:
 * it answers while the role is held here, and not after.
 */
export class BoardResponder {
  private subscription: Subscription | undefined;

  constructor(
    private readonly deps: {
      nc: NatsConnection;
      subject: string;
      board: (rows: number) => Promise<AlertBoard>;
      logger: Logger;
    },
  ) {}

  start(): void {
    this.subscription = this.deps.nc.subscribe(this.deps.subject, { callback: (_error, msg) => void this.answer(msg) });
  }

  async stop(): Promise<void> {
    this.halt();
  }

  halt(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private async answer(msg: Msg): Promise<void> {
    if (!msg.reply) return;
    let body: Uint8Array;
    try {
      const rows = boardRowsSchema.parse((msg.json() as { rows?: unknown }).rows);
      body = encoder.encode(JSON.stringify(await this.deps.board(rows)));
    } catch (error) {
      body = encoder.encode(JSON.stringify({ error: (error as Error).message }));
    }
    // Too big for one message: the asking replica falls back to the store.
    if (body.length > (this.deps.nc.info?.max_payload ?? 1_048_576)) body = encoder.encode(JSON.stringify({ error: `the board is ${body.length} bytes, more than a message holds` }));
    try {
      msg.respond(body);
    } catch (error) {
      this.deps.logger.debug({ err: String(error) }, "board answer not sent");
    }
  }
}

/**
 * Another replica's side: the coordinator's board, or undefined when none answers within `timeoutMs` (no coordinator
 * yet, a hand-over) or the board would not fit a message; the caller then reads the store.
 */
export async function requestBoard(nc: NatsConnection, subject: string, rows: number, timeoutMs: number): Promise<AlertBoard | undefined> {
  try {
    const reply = await nc.request(subject, encoder.encode(JSON.stringify({ rows })), { timeout: timeoutMs });
    const answer = reply.json<AlertBoard | { error: string }>();
    return "error" in answer ? undefined : answer;
  } catch {
    return undefined;
  }
}
