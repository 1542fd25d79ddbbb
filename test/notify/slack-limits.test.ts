import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fitSlackLimits, SLACK_TEXT_LIMITS } from "../../src/notify/slack-limits.js";
import type { SlackMessage } from "../../src/notify/model.js";

const lines = (count: number, width: number): string => Array.from({ length: count }, (_, i) => `${String(i).padStart(4, "0")} ${"x".repeat(width - 5)}`).join("\n");
const textOf = (block: unknown): string => (block as { text: { text: string } }).text.text;

describe("fitSlackLimits", () => {
  test("a message within every limit is returned as it is", () => {
    const message: SlackMessage = { text: "t", thread: null, blocks: [{ type: "header", text: { type: "plain_text", text: "h".repeat(150) } }, { type: "section", text: { type: "mrkdwn", text: "s".repeat(3_000) } }, { type: "divider" }] };
    assert.equal(fitSlackLimits(message), message);
  });

  test("texts past Slack's limits are cut to fit; mrkdwn at a line break, with a note saying so", () => {
    const longLines = lines(100, 60);
    const message: SlackMessage = {
      text: "t",
      thread: "reply",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "h".repeat(400) } },
        { type: "section", text: { type: "mrkdwn", text: longLines }, fields: [{ type: "mrkdwn", text: "ok" }, { type: "mrkdwn", text: lines(50, 60) }] },
        { type: "context", elements: [{ type: "mrkdwn", text: longLines }, { type: "image", image_url: "https://example.com/i.png", alt_text: "i" }] },
        { type: "actions", elements: [] },
      ],
    };
    const fitted = fitSlackLimits(message);
    const [header, section, context, actions] = fitted.blocks as Array<Record<string, unknown>>;
    assert.equal(textOf(header).length, SLACK_TEXT_LIMITS.header);
    assert.ok(textOf(header).endsWith("..."));
    const sectionText = textOf(section);
    assert.ok(sectionText.length <= SLACK_TEXT_LIMITS.section, `${sectionText.length}`);
    assert.ok(sectionText.endsWith("\n_... cut here to fit Slack's limit_"));
    const kept = sectionText.split("\n").slice(0, -1);
    assert.ok(kept.length > 40, "most of it is kept");
    assert.deepEqual(kept, longLines.split("\n").slice(0, kept.length), "whole lines, from the start");
    const fields = section?.fields as Array<{ text: string }>;
    assert.equal(fields[0]?.text, "ok");
    assert.ok((fields[1]?.text.length ?? 0) <= SLACK_TEXT_LIMITS.sectionField);
    const elements = context?.elements as Array<Record<string, unknown>>;
    assert.ok(String(elements[0]?.text).length <= SLACK_TEXT_LIMITS.contextElement);
    assert.ok(String(elements[0]?.text).endsWith("cut here to fit Slack's limit_"));
    assert.deepEqual(elements[1], message.blocks[2] && (message.blocks[2] as { elements: unknown[] }).elements[1], "an image element is left alone");
    assert.equal(actions, message.blocks[3], "other blocks are the same objects");
    assert.equal(fitted.thread, "reply");
    assert.equal(textOf(message.blocks[1]), longLines, "the input is not changed");
  });

  test("one line longer than the limit is cut inside the line", () => {
    const message: SlackMessage = { text: "t", thread: null, blocks: [{ type: "section", text: { type: "mrkdwn", text: `short\n${"y".repeat(5_000)}` } }] };
    const text = textOf(fitSlackLimits(message).blocks[0]);
    assert.ok(text.length <= SLACK_TEXT_LIMITS.section);
    assert.ok(text.startsWith(`short\n${"y".repeat(2_000)}`));
  });
});
