import twilio from "twilio";
import type { Logger } from "../core/logger.js";
import type { OnCallDirectory } from "../escalate/directory.js";
import { HttpError, type HttpRoute } from "../http/server.js";
import { parseSmsCommand } from "../notify/sms-commands.js";
import { IncidentNotFoundError } from "../store/jetstream/escalation-store.js";
import type { EscalationService } from "./escalation-service.js";
import type { NotifyStore } from "./notify-store.js";

export const TWILIO_SMS_PATH = "/twilio/sms";

export interface SmsRouteDeps {
  authToken: string | undefined;
  /** The URL Twilio posts to, exactly as configured in Twilio: the signature covers it. */
  publicUrl: string | undefined;
  logger: Logger;
  /** Opened on first use: the routes are registered before NATS state is needed. */
  store: () => Promise<NotifyStore>;
  directory: () => OnCallDirectory;
  escalation: EscalationService;
}

/**
 * Twilio's inbound SMS webhook: `ACK 4821` / `RES 4821` from a phone number in the users file acknowledges or
 * resolves the incident with that reply code, as that user. The X-Twilio-Signature is checked with the SDK's own
 * validateRequest (HMAC-SHA1 of the public URL and the sorted POST parameters). Every answer is a TwiML message;
 * unknown numbers, unknown codes and anything unparseable get a clear reply and change nothing.
 */
export function twilioSmsRoute(deps: SmsRouteDeps): HttpRoute {
  return {
    method: "POST",
    pattern: new RegExp(`^${TWILIO_SMS_PATH}$`),
    auth: "signature",
    async handle(request) {
      if (!deps.authToken || !deps.publicUrl) throw new HttpError(503, "inbound SMS is not configured (notify.sms.authTokenFile and publicWebhookUrl)");
      const params = Object.fromEntries(new URLSearchParams((await request.body()).toString("utf8")));
      const signature = request.request.headers["x-twilio-signature"];
      if (typeof signature !== "string" || !twilio.validateRequest(deps.authToken, signature, deps.publicUrl, params)) {
        throw new HttpError(401, "X-Twilio-Signature does not match this request");
      }
      const text = await answer(params.From ?? "", params.Body ?? "", deps);
      const reply = new twilio.twiml.MessagingResponse();
      reply.message(text);
      return { status: 200, contentType: "text/xml", body: reply.toString() };
    },
  };
}

async function answer(from: string, body: string, deps: SmsRouteDeps): Promise<string> {
  const user = [...deps.directory().users.values()].find((u) => u.contacts.sms === from);
  if (!user) {
    deps.logger.warn({ action: "sms reply" }, "SMS from a number that is not in the users file; nothing changed");
    return "Klaxon: this number is not in Klaxon's users file, so nothing was changed.";
  }
  const command = parseSmsCommand(body);
  if (command.action === "unknown") return "Klaxon: reply ACK <code> to acknowledge or RES <code> to resolve (the code is in the page). Nothing was changed.";
  const incidentId = await (await deps.store()).incidentOfCode(command.code);
  if (!incidentId) return `Klaxon: no open incident has code ${command.code}. Nothing was changed.`;
  try {
    const change = command.action === "acknowledge" ? await deps.escalation.acknowledge(incidentId, user.id, "sms") : await deps.escalation.resolve(incidentId, user.id, "sms");
    if (!change.changed) return `Klaxon: nothing to do, ${change.reason ?? "unchanged"}.`;
    return `Klaxon: ${command.action === "acknowledge" ? "acknowledged" : "resolved"} ${command.code} (${change.incident.title.slice(0, 80)}).`;
  } catch (error) {
    if (error instanceof IncidentNotFoundError) return `Klaxon: no open incident has code ${command.code}. Nothing was changed.`;
    throw error;
  }
}
