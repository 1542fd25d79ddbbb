import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError } from "../../core/errors.js";

/** Beside this module in src/ (tsx) and in dist/ (`npm run build` copies the folder). */
export const CONSOLE_ASSETS_DIR = fileURLToPath(new URL("./assets/", import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".webmanifest": "application/manifest+json",
};

/**
 * Scripts and styles only from this origin, data only from this origin's API, nothing framed, no form posted
 * anywhere (the login form is read by script; without script it must not leak the token in a URL), and no HTML
 * built from strings (Trusted Types with no policy: `innerHTML` and friends throw).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

export interface StaticAsset {
  /** Relative to the assets folder, with "/" separators: "app.js", "views/alerts.js". */
  path: string;
  body: Buffer;
  contentType: string;
  /** A strong validator: revalidation is one round trip with no body when nothing changed. */
  etag: string;
}

export class ConsoleAssetsMissingError extends AppError {}

/**
 * Every servable file under `dir`, read once: the console is a few small files, and serving from memory means a
 * request can only ever name a file that was found here (no path from a URL reaches the file system).
 */
export async function loadStaticAssets(dir: string): Promise<Map<string, StaticAsset>> {
  const assets = new Map<string, StaticAsset>();
  let files: string[];
  try {
    files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch (error) {
    throw new ConsoleAssetsMissingError(`cannot read the console's files in ${dir}: ${(error as Error).message}`, { cause: error });
  }
  for (const file of files) {
    const contentType = CONTENT_TYPES[extname(file)];
    if (contentType === undefined) continue;
    const body = await readFile(file);
    const path = relative(dir, file).split(sep).join("/");
    assets.set(path, { path, body, contentType, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` });
  }
  if (!assets.has("index.html")) throw new ConsoleAssetsMissingError(`no index.html in ${dir}`);
  return assets;
}
