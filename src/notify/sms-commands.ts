/** What a person can text back: `ACK 4821` or `RES 4821` (a few spellings each, any case). */
export type SmsCommand = { action: "acknowledge" | "resolve"; code: string } | { action: "unknown"; text: string };

const COMMAND = /^\s*(ack|acknowledge|res|resolve)\s*#?\s*(\d{4,6})\s*[.!]?\s*$/i;

export function parseSmsCommand(body: string): SmsCommand {
  const match = COMMAND.exec(body);
  if (!match) return { action: "unknown", text: body.trim().slice(0, 40) };
  const verb = (match[1] as string).toLowerCase();
  return { action: verb.startsWith("ack") ? "acknowledge" : "resolve", code: match[2] as string };
}
