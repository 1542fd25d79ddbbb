import { z } from "zod";
import { boardRowsSchema, DEFAULT_BOARD_ROWS, MAX_BOARD_ROWS, type AlertBoard } from "../alerts/alert-board.js";
import { ValidationError } from "../core/errors.js";
import { zodIssues } from "../rules/loader.js";
import type { GroupRecord } from "../alerts/dispatcher.types.js";
import type { StoredPage } from "../store/jetstream/escalation-store.js";
import { CONSOLE_ASSETS_DIR, CONSOLE_SECURITY_HEADERS, ConsoleAssetsMissingError, loadStaticAssets, type StaticAsset } from "./console/static-assets.js";
import type { JsonArrayBody } from "./json-array-body.js";
import { HttpError, type HttpReply, type HttpRequestContext, type HttpRoute } from "./server.js";

/** What the console reads besides the existing API (alerts, incidents, silences): read-only views of state. */
export interface ConsoleData {
  /** Aggregation groups: which alerts were notified together, to whom, when (written out in slices: see JsonArrayBody). */
  groups(): Promise<JsonArrayBody<GroupRecord>>;
  /** The alert board: each group's firing alerts counted, and the first `rows` of them (see alertBoard). */
  board(rows: number): Promise<AlertBoard>;
  pages(): Promise<StoredPage[]>;
  /** Optional views this engine serves (the demo's "outbox"), so the console shows only what answers. */
  features?(): string[];
}

/** A page as the console shows it: who, how, when, what became of it. The address (phone, e-mail) stays out. */
export interface PageView {
  id: string;
  incidentId: string;
  user: string;
  channel: string;
  level: number;
  round: number;
  status: StoredPage["status"];
  dueAtMs: number;
  sentAtMs?: number;
  reason?: string;
}

/** API answers carry state that may be private and is stale a moment later: never cached. */
const NO_STORE = { "cache-control": "no-store" };

/**
 * The web console: its static files (public: they hold no data), `whoami`, and the two read-only views the console
 * needs that the core API lacks (groups, pages). Everything that reads or changes state needs a bearer token.
 */
export function consoleRoutes(data: ConsoleData, options: { assetsDir?: string } = {}): HttpRoute[] {
  let assets: Promise<Map<string, StaticAsset>> | undefined;
  const loadAssets = (): Promise<Map<string, StaticAsset>> => {
    if (assets === undefined) {
      assets = loadStaticAssets(options.assetsDir ?? CONSOLE_ASSETS_DIR);
      // A failed load is retried on the next request rather than remembered (a build may finish meanwhile).
      assets.catch(() => {
        assets = undefined;
      });
    }
    return assets;
  };
  const redirect = async (): Promise<HttpReply> => ({ status: 302, contentType: "text/plain; charset=utf-8", headers: { location: "/console/" }, body: "see /console/\n" });

  return [
    { method: "GET", pattern: /^\/$/, auth: "public", handle: redirect },
    { method: "GET", pattern: /^\/console$/, auth: "public", handle: redirect },
    { method: "GET", pattern: /^\/console\/(.*)$/, auth: "public", handle: (context) => serveAsset(context, loadAssets) },
    { method: "GET", pattern: /^\/api\/v1\/whoami$/, auth: "token", handle: async ({ actor }) => ({ status: 200, headers: NO_STORE, body: { actor, features: data.features?.() ?? [] } }) },
    { method: "GET", pattern: /^\/api\/v1\/groups$/, auth: "token", handle: async () => ({ status: 200, headers: NO_STORE, body: await data.groups() }) },
    { method: "GET", pattern: /^\/api\/v1\/board$/, auth: "token", handle: async ({ url }) => ({ status: 200, headers: NO_STORE, body: await data.board(boardRows(url)) }) },
    {
      method: "GET",
      pattern: /^\/api\/v1\/pages$/,
      auth: "token",
      handle: async ({ url }) => {
        const incidents = new Set(url.searchParams.getAll("incident"));
        const pages = (await data.pages()).filter((p) => incidents.size === 0 || incidents.has(p.intent.incidentId));
        return { status: 200, headers: NO_STORE, body: pages.map(pageView).sort((a, b) => a.dueAtMs - b.dueAtMs || a.id.localeCompare(b.id)) };
      },
    },
  ];
}

const boardQuerySchema = z.strictObject({
  rows: z
    .string()
    .regex(/^\d{1,4}$/, `a whole number from 1 to ${MAX_BOARD_ROWS}`)
    .transform(Number)
    .pipe(boardRowsSchema)
    .optional(),
});

/** `?rows=`, checked; an unknown parameter or a bad value is named. */
function boardRows(url: URL): number {
  const parsed = boardQuerySchema.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) throw new ValidationError(zodIssues("query", parsed.error));
  return parsed.data.rows ?? DEFAULT_BOARD_ROWS;
}

async function serveAsset(context: HttpRequestContext, loadAssets: () => Promise<Map<string, StaticAsset>>): Promise<HttpReply> {
  let assets: Map<string, StaticAsset>;
  try {
    assets = await loadAssets();
  } catch (error) {
    if (error instanceof ConsoleAssetsMissingError) throw new HttpError(503, "the console's files are missing from this installation (npm run build copies them)");
    throw error;
  }
  const name = context.params[0] || "index.html";
  const asset = assets.get(name);
  if (asset === undefined) throw new HttpError(404, `no such console file: ${name}`);
  // no-cache = revalidate every time: after an upgrade nobody runs yesterday's script against today's API.
  const headers = { ...CONSOLE_SECURITY_HEADERS, "cache-control": "no-cache", etag: asset.etag };
  if (context.request.headers["if-none-match"] === asset.etag) return { status: 304, contentType: asset.contentType, headers, body: "" };
  return { status: 200, contentType: asset.contentType, headers, body: asset.body };
}

function pageView(page: StoredPage): PageView {
  const { intent } = page;
  return {
    id: intent.id,
    incidentId: intent.incidentId,
    user: intent.user,
    channel: intent.channel,
    level: intent.level,
    round: intent.round,
    status: page.status,
    dueAtMs: intent.dueAtMs,
    ...(page.sentAtMs !== undefined && { sentAtMs: page.sentAtMs }),
    ...(page.reason !== undefined && { reason: page.reason }),
  };
}
