import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startDemo, type RunningDemo } from "../../scripts/demo/run.js";
import { assertAlicePaged } from "./story-checks.js";

/** The environment of a machine without NATS: no KLAXON_NATS_URL; the embedded server forced, as if none were installed. */
function embeddedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KLAXON_DEMO_NATS: "embedded" };
  delete env["KLAXON_NATS_URL"];
  return env;
}

describe("the demo story (--once) on the embedded in-memory NATS", () => {
  const lines: string[] = [];
  let demo: RunningDemo;

  before(async () => {
    demo = await startDemo({ once: true, httpPort: 0, print: (line) => lines.push(line), env: embeddedEnv() });
  });
  after(async () => {
    await demo?.stop();
  });

  test("says plainly that it runs on the embedded bus, that nothing is kept, and where production differs", () => {
    const header = lines.slice(0, lines.findIndex((line) => line.startsWith("1. "))).join("\n");
    assert.match(header, /NATS {7}Klaxon's embedded in-memory NATS \+ JetStream at nats:\/\/127\.0\.0\.1:\d+ \(KLAXON_DEMO_NATS=embedded\): nothing is kept after exit\./);
    assert.match(header, /Production runs on NATS JetStream: see README "Running the engine"/);
  });

  test("pages are delivered: Alice's Slack message and e-mail reach the stand-ins and are printed as DELIVERED", async () => {
    await assertAlicePaged(demo, lines);
  });

  test("the story runs to the end: resolve, dead letter, a delayed SMS, escalation to level 2", async () => {
    await demo.story;
    const text = lines.join("\n");
    for (const mark of [/ FIRING +error-log-burst/, / NOTIFY +ops-oncall \(first\)/, / PAGE +alice via slack, level 1/, / RESOLVED +disk-almost-full/, / DEAD LETTER schema: /, / DELIVERED +sms to alice \(\+4915112345678\)/, / ESCALATED +error-log-burst: .* → level 2/, / PAGE +carol via slack, level 2/, / DELIVERED +slack to carol/]) {
      assert.match(text, mark);
    }
    assert.match(text, /The story is complete \(--once\): stopping\./);
    assert.ok(demo.standIns.twilio.messages.some((m) => m.to === "+4915112345678"), "the Twilio stand-in received Alice's SMS");
  });
});
