import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TemplateSet, templateFiles } from "../../src/notify/templates.js";
import { checkTemplates } from "../../src/notify/templates-check.js";
import { sampleContexts } from "../../src/notify/sample.js";
import { buildContext, groupTitle } from "../../src/notify/context.js";
import { PURPOSES } from "../../src/notify/model.js";
import { fitsOneSegment, isGsm7 } from "../../src/notify/sms-text.js";
import { checkCommand } from "../../src/cli/commands/check.js";
import { capture } from "../support/output.js";

async function shipped(): Promise<TemplateSet> {
  const { templates, issues } = await TemplateSet.load("templates");
  assert.deepEqual(issues, []);
  return templates as TemplateSet;
}

async function copyOfShipped(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-templates-"));
  await cp("templates", dir, { recursive: true });
  return dir;
}

const buttons = (blocks: unknown[]): string[] =>
  blocks.flatMap((b) => ((b as { type: string }).type === "actions" ? ((b as { elements: Array<{ action_id: string }> }).elements ?? []).map((e) => e.action_id) : []));

describe("templates", () => {
  test("every shipped template renders against the sample alerts for every purpose, and check says so", async () => {
    const report = await checkTemplates("templates");
    assert.deepEqual(report.issues, []);
    assert.deepEqual(report.warnings, []);
    assert.equal(report.templates, templateFiles().length);
  });

  test("Slack messages offer the buttons that fit the incident's state", async () => {
    const templates = await shipped();
    const [page, channel] = sampleContexts("firing");
    assert.deepEqual(buttons(templates.slack("firing", page!.context).blocks), ["klaxon_ack", "klaxon_resolve", "klaxon_silence_1h"]);
    assert.deepEqual(buttons(templates.slack("firing", channel!.context).blocks), ["klaxon_silence_1h"], "no incident: nothing to acknowledge");
    assert.deepEqual(buttons(templates.slack("acknowledged", sampleContexts("acknowledged")[0]!.context).blocks), ["klaxon_resolve", "klaxon_silence_1h"]);
    assert.deepEqual(buttons(templates.slack("resolved", sampleContexts("resolved")[0]!.context).blocks), []);
    const acked = templates.slack("acknowledged", sampleContexts("acknowledged")[0]!.context);
    assert.match(acked.thread ?? "", /Acknowledged by alice via slack/);
    const value = JSON.parse(((acked.blocks.at(-1) as { elements: Array<{ value: string }> }).elements[0] as { value: string }).value) as Record<string, unknown>;
    assert.deepEqual(value, { incident: "5c2f0e7a91b3d4c6e8f0-1", group: "5c2f0e7a91b3d4c6e8f0" });
  });

  test("a notification listing the first of many alerts says how many more there are, everywhere", async () => {
    const templates = await shipped();
    const listed = Array.from({ length: 3 }, (_, i) => ({ fingerprint: `f${i}`, status: "firing" as const, labels: { alertname: "disk", severity: "critical", source: `h${i}` }, annotations: { summary: "disk full" }, startsAtMs: 0 }));
    const counts = { firing: 250, resolved: 7 };
    const context = buildContext({ purpose: "firing", title: groupTitle(listed, {}, 257), receiver: "ops", groupId: "g1", groupLabels: {}, alerts: listed, counts, atMs: 0 });
    assert.equal(context.title, "disk and 256 more: disk full", "the title counts every alert");
    assert.deepEqual([context.firingCount, context.resolvedCount, context.unlistedCount], [250, 7, 254]);
    const email = templates.email("firing", context);
    assert.match(email.text, /250 firing, 7 resolved/);
    assert.match(email.text, /and 254 more, not listed here/);
    assert.match(email.html, /and 254 more, not listed here/);
    for (const purpose of ["firing", "escalated", "acknowledged", "resolved"] as const) {
      assert.match(JSON.stringify(templates.slack(purpose, { ...context, purpose }).blocks), /and 254 more, not listed here/, `slack ${purpose}`);
    }
    const complete = buildContext({ purpose: "firing", title: "t", receiver: "ops", groupId: "g1", groupLabels: {}, alerts: listed, atMs: 0 });
    assert.equal(complete.unlistedCount, 0);
    assert.doesNotMatch(templates.email("firing", complete).text, /not listed/, "nothing to say when every alert is listed");
  });

  test("alert text cannot inject HTML into e-mail or mentions into Slack", async () => {
    const templates = await shipped();
    const context = buildContext({
      purpose: "firing",
      title: "x <!channel> & <script>alert(1)</script>",
      receiver: "ops",
      groupId: "g1",
      groupLabels: {},
      alerts: [{ fingerprint: "f1", status: "firing", labels: { alertname: "x", severity: "critical" }, annotations: { summary: "<b>bold</b> <!here>" }, startsAtMs: 0 }],
      atMs: 0,
    });
    const mail = templates.email("firing", context);
    assert.doesNotMatch(mail.html, /<script>|<b>bold/);
    assert.match(mail.html, /&lt;script&gt;/);
    // mrkdwn and the notification text would turn <!here> into a mention; plain_text (the header) shows it as typed.
    const message = templates.slack("firing", context);
    const mrkdwn = JSON.stringify([message.text, message.blocks.filter((b) => (b as { type: string }).type !== "header")]);
    assert.doesNotMatch(mrkdwn, /<!here>|<!channel>/);
    assert.match(mrkdwn, /&lt;!here&gt;/);
    assert.match(message.text, /x &lt;!channel&gt; &amp; &lt;script&gt;/);
  });

  test("an SMS fits one GSM-7 segment even for a long title with typographic characters, and keeps the reply code", async () => {
    const templates = await shipped();
    const context = buildContext({
      purpose: "firing",
      title: `checkout’s latency — “p99” is 4 812 ms… ${"and a very long description of everything that is wrong ".repeat(4)}`,
      receiver: "ops",
      groupId: "g1",
      groupLabels: {},
      alerts: [{ fingerprint: "f1", status: "firing", labels: { alertname: "x", severity: "critical" }, annotations: {}, startsAtMs: 0 }],
      incident: { id: "g1-1", state: "triggered", level: 0, round: 0 },
      replyCode: "4821",
      atMs: 0,
    });
    const sms = templates.sms("firing", context);
    assert.ok(isGsm7(sms), sms);
    assert.ok(fitsOneSegment(sms), `${sms.length} characters: ${sms}`);
    assert.match(sms, /^CRITICAL: checkout's latency - "p99" is 4 812 ms\.\.\. and a very long/);
    assert.match(sms, /\.\.\. - reply ACK 4821 to ack, RES 4821 to resolve$/);
    for (const purpose of PURPOSES) for (const { context: c } of sampleContexts(purpose)) assert.ok(fitsOneSegment(templates.sms(purpose, c)), purpose);
  });

  test("a misspelt field, a syntax error, a missing and a stray file are each reported with the file and what is wrong", async () => {
    const dir = await copyOfShipped();
    await writeFile(join(dir, "sms", "firing.txt.hbs"), "{{upper severity}}: {{titel}}\n");
    await writeFile(join(dir, "email", "resolved.html.hbs"), "<p>{{#if incident}}resolved</p>\n");
    await rm(join(dir, "slack", "escalated.json.hbs"));
    await writeFile(join(dir, "slack", "firing.json"), "{}");
    const { issues } = await TemplateSet.load(dir);
    const text = issues.map((i) => `${i.file}: ${i.message}`).join("\n");
    assert.match(text, /slack\/firing\.json: unknown template file/);
    assert.match(text, /slack\/escalated\.json\.hbs: missing template/);
    assert.match(text, /email\/resolved\.html\.hbs: Parse error on line 2: .*got 'EOF'/);
    const report = await checkTemplates(dir.replace(/$/, ""));
    assert.ok(report.issues.length >= 3);
    await rm(join(dir, "slack", "firing.json"));
    await writeFile(join(dir, "slack", "escalated.json.hbs"), '{ "text": {{json title}}, "blocks": [], "thread": null, }');
    await writeFile(join(dir, "email", "resolved.html.hbs"), "<p>resolved</p>\n");
    const rendered = await checkTemplates(dir);
    const messages = rendered.issues.map((i) => `${i.file}: ${i.message}`).join("\n");
    assert.match(messages, /sms\/firing\.txt\.hbs: rendering a page with an incident: unknown field "titel" \(line 1, column 23\)/);
    assert.match(messages, /slack\/escalated\.json\.hbs: rendering a page with an incident: does not render to valid JSON/);
  });

  test("klaxon check fails on a broken template, naming the file", async () => {
    const dir = await copyOfShipped();
    await writeFile(join(dir, "email", "subject.txt.hbs"), "[Klaxon] {{incident.titel}}\n");
    const io = capture();
    assert.equal(await checkCommand("rules", io, dir), 1);
    assert.match(io.errors.join("\n"), /email\/subject\.txt\.hbs: \(root\): rendering a page with an incident: unknown field "titel" \(line 1, column 12\)/);
    const ok = capture();
    assert.equal(await checkCommand("rules", ok), 0, ok.errors.join("\n"));
    assert.match(ok.out.join("\n"), new RegExp(`ok: ${templateFiles().length} notification template\\(s\\) in templates render against a sample alert`));
  });
});
