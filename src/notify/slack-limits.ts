import type { SlackMessage } from "./model.js";
import { truncate } from "./template-helpers.js";

/**
 * Slack's limits on the texts of a message's blocks (Block Kit reference). One text past them and chat.postMessage
 * fails with `invalid_blocks`: the whole message is refused, not shortened.
 */
export const SLACK_TEXT_LIMITS = { section: 3_000, sectionField: 2_000, header: 150, contextElement: 3_000 } as const;

const CUT_NOTE = "\n_... cut here to fit Slack's limit_";

/**
 * The message with every block text that passes Slack's limits cut to fit. A group's alert list grows with the
 * group (a section of 13 alerts passed 3,000 characters): better a message that says less than no message. Mrkdwn
 * is cut at a line break where one is near, so a line's formatting is not left open; counts are in UTF-16 units,
 * never fewer than Slack's characters. A message within the limits is returned as it is.
 */
export function fitSlackLimits(message: SlackMessage): SlackMessage {
  let changed = false;
  const blocks = message.blocks.map((block) => {
    const fitted = fitBlock(block);
    if (fitted !== block) changed = true;
    return fitted;
  });
  return changed ? { ...message, blocks } : message;
}

type TextObject = { type?: unknown; text?: unknown };

function fitBlock(block: unknown): unknown {
  if (typeof block !== "object" || block === null) return block;
  const b = block as { type?: unknown; text?: TextObject; fields?: unknown; elements?: unknown };
  switch (b.type) {
    case "header":
      return withText(b, fitText(b.text, SLACK_TEXT_LIMITS.header));
    case "section": {
      let out: typeof b = withText(b, fitText(b.text, SLACK_TEXT_LIMITS.section));
      if (Array.isArray(b.fields)) out = withList(out, "fields", b.fields, SLACK_TEXT_LIMITS.sectionField);
      return out;
    }
    case "context":
      return Array.isArray(b.elements) ? withList(b, "elements", b.elements, SLACK_TEXT_LIMITS.contextElement) : b;
    default:
      return block;
  }
}

function withText<T extends { text?: TextObject }>(block: T, text: TextObject | undefined): T {
  return text === block.text ? block : { ...block, text };
}

function withList<T extends object>(block: T, key: "fields" | "elements", list: unknown[], max: number): T {
  const fitted = list.map((item) => (typeof item === "object" && item !== null ? fitText(item as TextObject, max) : item));
  return fitted.every((item, i) => item === list[i]) ? block : { ...block, [key]: fitted };
}

function fitText(object: TextObject | undefined, max: number): TextObject | undefined {
  if (object === undefined || typeof object.text !== "string" || object.text.length <= max) return object;
  const text = object.type === "plain_text" ? truncate(object.text, max) : cutMrkdwn(object.text, max);
  return { ...object, text };
}

function cutMrkdwn(text: string, max: number): string {
  let kept = text.slice(0, max - CUT_NOTE.length);
  const lineEnd = kept.lastIndexOf("\n");
  if (lineEnd >= kept.length / 2) kept = kept.slice(0, lineEnd);
  return `${kept}${CUT_NOTE}`;
}
