/* global location */
// Talking to the engine's API. The token lives in sessionStorage: it survives a reload of this tab, dies with the
// tab, and is only ever sent in the Authorization header, never written into the page or a URL.

const TOKEN_KEY = "klaxon.apiToken";
// Relative to the console (/console/ → /api/v1/), so a reverse proxy may mount the engine under a prefix.
const API_BASE = new URL("../api/v1/", location.href);

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  remember: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  forget: () => sessionStorage.removeItem(TOKEN_KEY),
};

let onSignedOut = () => {};

/** Called when the engine refuses the token (revoked, engine restarted with another tokens file). */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

export async function call(method, path, body) {
  const token = session.token();
  if (!token) {
    onSignedOut("Sign in to continue.");
    throw new ApiError(401, "not signed in");
  }
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(path, API_BASE), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  const isJson = (response.headers.get("content-type") ?? "").includes("json");
  const data = isJson ? await response.json().catch(() => undefined) : undefined;
  if (response.status === 401) {
    session.forget();
    onSignedOut("The engine did not accept your token. Sign in again.");
    throw new ApiError(401, "the token was refused");
  }
  if (!response.ok) throw new ApiError(response.status, describe(response.status, data), data);
  return data;
}

/** The engine's own words: validation issues name the field at fault. */
function describe(status, data) {
  if (Array.isArray(data?.issues) && data.issues.length > 0) {
    return data.issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join("; ");
  }
  return typeof data?.error === "string" ? data.error : `the engine answered HTTP ${status}`;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body);
export const remove = (path) => call("DELETE", path);

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined && one !== null && one !== "") search.append(key, String(one));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}
