import { readFileSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { parseAuditQuery } from "../../audit/filter.js";
import { formatRecordLine, formatVerify } from "../../audit/format.js";
import { loadConfig } from "../../config/load.js";
import { systemClock, type Clock } from "../../core/clock.js";
import { AppError } from "../../core/errors.js";
import { AuditQueries } from "../../store/jetstream/audit-queries.js";
import type { Output } from "../output.js";

/** Where the audit stream is: `--nats` (or KLAXON_NATS_URL) and the config's stream and subject names. */
export interface AuditConnectionOptions {
  nats?: string;
  config?: string;
}

export interface AuditListOptions extends AuditConnectionOptions {
  since?: string;
  until?: string;
  alert?: string;
  actor?: string;
  action?: string;
  limit?: string;
  json?: boolean;
}

/** Run `action` with the audit queries of the NATS the config points at; the connection is closed afterwards. */
export async function withAuditQueries<T>(options: AuditConnectionOptions, action: (queries: AuditQueries) => Promise<T>): Promise<T> {
  const config = await loadConfig({ ...(options.config ? { file: options.config } : {}), env: process.env, overrides: options.nats ? { nats: { servers: options.nats.split(",") } } : {} });
  const nc = await connect({ servers: config.nats.servers, ...(config.nats.tokenFile ? { token: readFileSync(config.nats.tokenFile, "utf8").trim() } : {}) }).catch((error: unknown) => {
    throw new AppError(`cannot reach NATS at ${config.nats.servers.join(", ")}: ${(error as Error).message}`, { cause: error });
  });
  try {
    return await action(new AuditQueries(jetstream(nc), { stream: config.streams.audit, subjectPrefix: config.subjects.audit }));
  } finally {
    await nc.close();
  }
}

/** `klaxon audit`: the newest matching records, one line each, or one JSON object per line with --json. */
export async function auditListCommand(options: AuditListOptions, out: Output, clock: Clock = systemClock): Promise<number> {
  const { since, until, alert, actor, action, limit } = options;
  const query = parseAuditQuery(definedOnly({ since, until, alert, actor, action, limit }), clock.now(), "klaxon audit");
  const records = await withAuditQueries(options, (queries) => queries.query(query.filter, query.limit));
  if (records.length === 0 && !options.json) out.err("no audit records match");
  for (const record of records) out.log(options.json ? JSON.stringify(record) : formatRecordLine(record));
  return 0;
}

/** `klaxon audit verify`: exit 0 when every chain is intact, 1 with the first bad record otherwise. */
export async function auditVerifyCommand(options: AuditConnectionOptions & { json?: boolean }, out: Output): Promise<number> {
  const result = await withAuditQueries(options, (queries) => queries.verify());
  if (options.json) out.log(JSON.stringify(result));
  else {
    for (const line of formatVerify(result)) out.log(line);
    if (!result.appendOnly) out.log("  note: the audit stream allows message deletes or purges; `nats stream edit <stream> --deny-delete --deny-purge` makes it append-only");
  }
  return result.ok ? 0 : 1;
}

function definedOnly(input: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(input).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
