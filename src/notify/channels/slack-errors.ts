import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from "@slack/web-api";
import { DeliveryError } from "../errors.js";

/** Slack platform errors that say "try later" rather than "this request is wrong". */
const RETRYABLE_PLATFORM_ERRORS = new Set(["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"]);

/** Run one Web API call; whatever it throws comes out as a DeliveryError naming the method. */
export async function callSlack<T>(method: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw classifySlackError(method, error);
  }
}

/** Map the Web API client's errors to retryable or permanent. Messages name the method and Slack's error code only. */
export function classifySlackError(method: string, error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (error instanceof WebAPIRateLimitedError) {
    return new DeliveryError("slack", `Slack ${method}: rate limited, retry after ${error.retryAfter} s`, { retryable: true, retryAfterMs: error.retryAfter * 1_000 });
  }
  if (error instanceof WebAPIPlatformError) {
    const code = String(error.data.error);
    return new DeliveryError("slack", `Slack ${method}: ${code}`, { retryable: RETRYABLE_PLATFORM_ERRORS.has(code) });
  }
  if (error instanceof WebAPIHTTPError) {
    return new DeliveryError("slack", `Slack ${method}: HTTP ${error.statusCode}`, { retryable: error.statusCode >= 500 || error.statusCode === 408 });
  }
  if (error instanceof WebAPIRequestError) return new DeliveryError("slack", `Slack ${method}: request failed (${errorCode(error.original)})`, { retryable: true });
  return new DeliveryError("slack", `Slack ${method}: ${error instanceof Error ? error.name : "unknown error"}`, { retryable: true });
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown; cause?: { code?: unknown } }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === "string" ? code : error.name;
}
