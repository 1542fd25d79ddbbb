import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AppError, ValidationError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { SilenceConflictError, SilenceNotFoundError } from "../store/jetstream/alert-state-store.js";
import { IncidentNotFoundError } from "../store/jetstream/escalation-store.js";
import { JsonArrayBody } from "./json-array-body.js";
import type { TokenAuth } from "./tokens.js";

const MAX_BODY_BYTES = 64 * 1024;

/** What the HTTP edge may call: the application, never the store directly. */
export interface HttpApi {
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Every alert, or only those with the given fingerprints (none given: every one). */
  listAlerts(fingerprints?: readonly string[]): Promise<unknown>;
  listSilences(): Promise<unknown>;
  createSilence(body: unknown, actor: string): Promise<unknown>;
  expireSilence(id: string, actor: string): Promise<unknown>;
  listIncidents(): Promise<unknown>;
  acknowledgeIncident(id: string, actor: string): Promise<unknown>;
  resolveIncident(id: string, actor: string): Promise<unknown>;
}

/** Throw from a route plugin to answer with this status and message. */
export class HttpError extends AppError {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Handler = (request: IncomingMessage, actor: string, params: string[]) => Promise<{ status: number; body: unknown }>;

/** What a route plugin answers: JSON by default; `contentType` for anything else (a page, a TwiML reply). */
export interface HttpReply {
  status: number;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface HttpRequestContext {
  request: IncomingMessage;
  url: URL;
  params: string[];
  /** The token's actor for `auth: "token"` routes; undefined for the others. */
  actor: string | undefined;
  /** The raw body (a signature is computed over the exact bytes), at most MAX_BODY_BYTES. */
  body(): Promise<Buffer>;
  json(): Promise<unknown>;
}

/**
 * A route added by a feature (console, Slack/Twilio webhooks, admin API), registered in one list by the engine.
 * `auth: "token"` routes need a bearer token; `"signature"` routes verify the provider's request signature
 * themselves and must answer 401 when it fails; `"public"` routes change nothing and reveal no secret.
 */
export interface HttpRoute {
  method: string;
  pattern: RegExp;
  auth: "token" | "signature" | "public";
  handle(context: HttpRequestContext): Promise<HttpReply>;
}

/**
 * The engine's HTTP API. Everything under /api needs a bearer token; the token's actor is passed to the
 * application, which records it in the audit trail. /metrics is open and contains no secrets; /healthz and /readyz are
 * route plugins (health-routes.ts).
 */
export async function startHttpServer(
  api: HttpApi,
  auth: TokenAuth,
  options: { host: string; port: number; logger: Logger; routes?: readonly HttpRoute[] },
): Promise<{ port: number; close(): Promise<void> }> {
  const plugins = options.routes ?? [];
  const routes: Array<{ method: string; pattern: RegExp; handler: Handler }> = [
    { method: "GET", pattern: /^\/api\/v1\/alerts$/, handler: async (req) => ({ status: 200, body: await api.listAlerts(fingerprintsAsked(req)) }) },
    { method: "GET", pattern: /^\/api\/v1\/silences$/, handler: async () => ({ status: 200, body: await api.listSilences() }) },
    { method: "POST", pattern: /^\/api\/v1\/silences$/, handler: async (req, actor) => ({ status: 201, body: await api.createSilence(await readJson(req), actor) }) },
    { method: "DELETE", pattern: /^\/api\/v1\/silences\/([A-Za-z0-9-]+)$/, handler: async (_req, actor, [id]) => ({ status: 200, body: await api.expireSilence(id as string, actor) }) },
    { method: "GET", pattern: /^\/api\/v1\/incidents$/, handler: async () => ({ status: 200, body: await api.listIncidents() }) },
    { method: "POST", pattern: /^\/api\/v1\/incidents\/([A-Za-z0-9_.-]+)\/ack$/, handler: async (_req, actor, [id]) => ({ status: 200, body: await api.acknowledgeIncident(id as string, actor) }) },
    { method: "POST", pattern: /^\/api\/v1\/incidents\/([A-Za-z0-9_.-]+)\/resolve$/, handler: async (_req, actor, [id]) => ({ status: 200, body: await api.resolveIncident(id as string, actor) }) },
  ];

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://localhost");
      const path = url.pathname;
      try {
        if (request.method === "GET" && path === "/metrics") {
          const metrics = await api.metrics();
          response.writeHead(200, { "content-type": metrics.contentType });
          return response.end(metrics.body);
        }
        const plugin = plugins.find((r) => r.method === request.method && r.pattern.test(path));
        if (plugin) return await servePlugin(plugin, request, response, url, auth);
        const allowed = [...routes, ...plugins].filter((r) => r.pattern.test(path)).map((r) => r.method);
        if (allowed.length === 0) throw new HttpError(404, `no such endpoint: ${path}`);
        const match = routes.find((r) => r.method === request.method && r.pattern.test(path));
        if (!match) throw new HttpError(405, `${request.method} is not allowed on ${path}; use ${allowed.join(", ")}`);
        const actor = auth.authenticate(request.headers.authorization);
        if (!actor) throw new HttpError(401, "a valid bearer token is required (Authorization: Bearer <token>)");
        const params = (match.pattern.exec(path) ?? []).slice(1);
        const result = await match.handler(request, actor, params);
        if (result.body instanceof JsonArrayBody) {
          response.writeHead(result.status, { "content-type": "application/json" });
          return await result.body.writeTo(response);
        }
        send(response, result.status, result.body);
      } catch (error) {
        const { status, body } = errorResponse(error);
        if (status >= 500) options.logger.error({ err: error, path }, "HTTP request failed");
        // Failed half-way through a body sent in slices: the status is out, so the client sees the body cut short.
        if (response.headersSent) return void response.destroy();
        if (status === 401) response.setHeader("www-authenticate", 'Bearer realm="klaxon"');
        send(response, status, body);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ host: options.host, port }, "HTTP API listening");
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function servePlugin(route: HttpRoute, request: IncomingMessage, response: ServerResponse, url: URL, auth: TokenAuth): Promise<void> {
  let actor: string | undefined;
  if (route.auth === "token") {
    actor = auth.authenticate(request.headers.authorization);
    if (!actor) throw new HttpError(401, "a valid bearer token is required (Authorization: Bearer <token>)");
  }
  let body: Promise<Buffer> | undefined;
  const readBody = (): Promise<Buffer> => (body ??= readBytes(request));
  const reply = await route.handle({
    request,
    url,
    params: (route.pattern.exec(url.pathname) ?? []).slice(1),
    actor,
    body: readBody,
    json: async () => parseJson(await readBody()),
  });
  if (reply.contentType === undefined) {
    response.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
    if (reply.body instanceof JsonArrayBody) return await reply.body.writeTo(response);
    response.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
    return;
  }
  response.writeHead(reply.status, { "content-type": reply.contentType, ...reply.headers });
  response.end(reply.body instanceof Uint8Array || typeof reply.body === "string" ? reply.body : String(reply.body ?? ""));
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function errorResponse(error: unknown): { status: number; body: unknown } {
  if (error instanceof HttpError) return { status: error.status, body: { error: error.message, ...error.extra } };
  if (error instanceof ValidationError) return { status: 400, body: { error: "invalid request", issues: error.issues.map((i) => ({ path: i.path, message: i.message })) } };
  if (error instanceof SilenceNotFoundError) return { status: 404, body: { error: error.message } };
  if (error instanceof SilenceConflictError) return { status: 409, body: { error: error.message } };
  if (error instanceof IncidentNotFoundError) return { status: 404, body: { error: error.message } };
  return { status: 500, body: { error: "internal error; see the engine log" } };
}

/**
 * `?fingerprint=` (repeatable) of GET /api/v1/alerts: one alert's silence form need not fetch a storm's 100,000.
 * Undefined when none is given; any other parameter is a 400 that names it.
 */
function fingerprintsAsked(request: IncomingMessage): string[] | undefined {
  const search = new URL(request.url ?? "/", "http://localhost").searchParams;
  for (const name of search.keys()) if (name !== "fingerprint") throw new HttpError(400, `unknown parameter "${name.slice(0, 40)}"; use fingerprint`);
  const fingerprints = search.getAll("fingerprint");
  return fingerprints.length === 0 ? undefined : fingerprints;
}

async function readBytes(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new HttpError(400, `body is not valid JSON: ${(error as Error).message}`);
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  return parseJson(await readBytes(request));
}
