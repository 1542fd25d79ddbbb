/**
 * `npm run chaos [-- --alerts N --rate R --nats-restarts N --kill-every MS --pause-every MS --pause-for MS --quick --json]`: three `klaxon run` replicas, their own nats-server and
 * local Slack/SMTP/Twilio; alerts fire and resolve at a steady rate while replicas are SIGKILLed or paused, the server
 * restarts, Slack misbehaves and SMTP goes down. Prints what was lost, duplicated and late; exits 1 unless every
 * page was delivered exactly once and every alert ended resolved. `CHAOS_LOG_LEVEL=info` gives the replicas' logs (in the directory the run names)
 * more than warnings: role changes, recoveries, hand-overs.
 */
import { parseArgs } from "node:util";
import { chaosOptions, runChaos } from "./chaos/run.js";

const { values } = parseArgs({
  options: {
    alerts: { type: "string" },
    rate: { type: "string" },
    "nats-restarts": { type: "string" },
    "kill-every": { type: "string" },
    "pause-every": { type: "string" },
    "pause-for": { type: "string" },
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});

const log = (line: string): void => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
const options = chaosOptions(values.quick, log);
if (values.alerts) options.alerts = Number(values.alerts);
if (values.rate) options.ratePerSecond = Number(values.rate);
if (values["nats-restarts"]) options.natsRestarts = Number(values["nats-restarts"]);
// 0: no replica is killed, so the server's restarts can be studied alone.
if (values["kill-every"]) options.killEveryMs = Number(values["kill-every"]) === 0 ? Number.POSITIVE_INFINITY : Number(values["kill-every"]);
// A replica stands still (SIGSTOP) this often, for --pause-for ms (default 5,000: past the run's 2 s lease), then goes on.
if (values["pause-every"]) {
  options.pauseEveryMs = Number(values["pause-every"]);
  options.pauseForMs = Number(values["pause-for"] ?? 5_000);
}
const report = await runChaos(options);
if (values.json) console.log(JSON.stringify(report, null, 2));
else {
  console.log(`firings (fired, resolved)   ${report.alerts}  (some alerts fire twice)`);
  console.log(`pages expected              ${report.expected}  (alert × slack, email, sms)`);
  console.log(`pages delivered             ${report.delivered}`);
  console.log(`lost                        ${report.lost}${report.lost > 0 ? `  e.g. ${report.lostPages.slice(0, 5).join(", ")}` : ""}`);
  console.log(`duplicated                  ${report.duplicated}${report.duplicated > 0 ? `  e.g. ${report.duplicatedPages.slice(0, 5).join(", ")}` : ""}`);
  console.log(`late beyond group_wait      p50 ${report.lateness.p50Ms} ms, p99 ${report.lateness.p99Ms} ms, max ${report.lateness.maxMs} ms`);
  for (const [channel, late] of Object.entries(report.latenessByChannel)) console.log(`  ${channel.padEnd(26)} p50 ${late.p50Ms} ms, p99 ${late.p99Ms} ms, max ${late.maxMs} ms`);
  console.log(`  over the run (fired from): ${report.latenessOverRun.map((t) => `${t.from} p50 ${(t.p50Ms / 1000).toFixed(1)} s max ${(t.maxMs / 1000).toFixed(1)} s`).join("; ")}`);
  if (report.pipeline) {
    const { evaluated, notified, paged, neverNotified } = report.pipeline;
    console.log(`event → firing alert         p50 ${evaluated.p50Ms} ms, p99 ${evaluated.p99Ms} ms, max ${evaluated.maxMs} ms`);
    console.log(`notified beyond group_wait  p50 ${notified.p50Ms} ms, p99 ${notified.p99Ms} ms, max ${notified.maxMs} ms`);
    console.log(`paged beyond group_wait     p50 ${paged.p50Ms} ms, p99 ${paged.p99Ms} ms, max ${paged.maxMs} ms  (page published: escalation done)`);
    if (neverNotified.length > 0) console.log(`never notified              ${neverNotified.length}  e.g. ${neverNotified.slice(0, 3).join(", ")}`);
  }
  if (report.stillFiring) console.log(`still firing at the end        ${report.stillFiring.length}${report.stillFiring.length > 0 ? `  e.g. ${report.stillFiring.slice(0, 5).join(", ")}` : ""}`);
  if (report.continued) console.log(`fired again before resolve told  ${report.continued.length}  (one incident with the first firing, no page of their own) e.g. ${report.continued.slice(0, 3).join(", ")}`);
  for (const [what, story] of Object.entries(report.lostTrace ?? {})) console.log(`  ${what}: ${story}`);
  console.log(`faults                      ${report.kills} replicas SIGKILLed, ${report.pauses} paused, ${report.natsRestarts} nats-server restarts, Slack 429/503/slow, SMTP down`);
  console.log(`driver publish retries      ${report.publishRetries}`);
}
process.exit(report.lost === 0 && report.duplicated === 0 && (report.stillFiring?.length ?? 0) === 0 ? 0 : 1);
