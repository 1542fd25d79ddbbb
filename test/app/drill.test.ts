import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startEngine, useNatsServer } from "../support/engine.js";
import { capture } from "../support/output.js";
import { startNotifyEnv, type NotifyEnv } from "../notify/notify-env.js";
import { drillCommand } from "../../src/cli/commands/drill.js";

describe("klaxon drill", () => {
  const nats = useNatsServer();
  let env: NotifyEnv | undefined;
  after(async () => {
    await env?.close();
  });

  test("a drill alert goes through grouping, escalation and every channel of the route, then resolves; exit 0", async () => {
    env = await startNotifyEnv(nats.current.url);
    await startEngine(env.config);
    const out = capture();
    const code = await drillCommand({ route: "ops", nats: nats.current.url, rules: env.dir, timeout: "60s", author: "tester" }, out);
    const printed = out.out.join("\n");
    assert.equal(code, 0, printed + out.errors.join("\n"));
    assert.match(printed, /grouped and notified to receiver ops/);
    assert.match(printed, /incident \S+ opened/);
    for (const channel of ["slack", "email", "sms"]) {
      assert.match(printed, new RegExp(`page to alice on ${channel} handed to the channel`));
      assert.match(printed, new RegExp(`delivered by ${channel} to alice`));
    }
    assert.match(printed, /3\/3 pages delivered$/m);
    assert.match(printed, /incident \S+ resolved by tester/);
    // What the person actually received: the drill's own alert, on each channel.
    assert.ok(env.slack.messages().some((m) => m.text.includes("KlaxonDrill")), "a Slack page about the drill");
    assert.ok(env.smtp.mails.some((m) => m.subject.includes("KlaxonDrill")), "an e-mail about the drill");
    assert.ok(env.twilio.messages.some((m) => m.body.includes("KlaxonDrill")), "an SMS about the drill");
  });

  test("an unknown route, a route no labels can reach, and a bad timeout are refused with a clear error", async () => {
    const dir = (env as NotifyEnv).dir;
    const unknown = capture();
    assert.equal(await drillCommand({ route: "nowhere", nats: nats.current.url, rules: dir }, unknown), 2);
    assert.match(unknown.errors.join("\n"), /--route "nowhere": no route has this id or receiver/);
    const badTimeout = capture();
    assert.equal(await drillCommand({ route: "ops", nats: nats.current.url, rules: dir, timeout: "soon" }, badTimeout), 2);
    assert.match(badTimeout.errors.join("\n"), /--timeout "soon" is not a duration/);
    const badLabel = capture();
    assert.equal(await drillCommand({ label: ["oops"], nats: nats.current.url, rules: dir }, badLabel), 2);
    assert.match(badLabel.errors.join("\n"), /--label "oops" is not name=value/);
  });
});
