// The scripted story: events a newcomer would recognise, published one beat at a time, each beat waiting for the
// pipeline to show its effect before the next (so the output reads in order and a stalled step is named).
import { formatDuration } from "../../src/core/duration.js";
import { momentOf } from "./moments.js";
import { StoryStalledError, type Narrator } from "./narrator.js";

export interface StoryDeps {
  narrator: Narrator;
  /** Publishes an event on `events.<type>.<source>`, stamped with the current time. */
  publish(event: Record<string, unknown>): Promise<void>;
  /** Publishes raw bytes, as a broken producer would. */
  publishRaw(subject: string, body: string): Promise<void>;
  groupWaitMs: number;
  escalationDelayMs: number;
  /** How the demo shortened a shipped duration ("2m" → "12s"), for the narration. */
  shortened(duration: string): string;
}

/** Room for what takes a moment on a busy machine; never what decides the story's timing. */
const MARGIN_MS = 15_000;
const ORDERS_STILL_FAILING_EVERY_MS = 5_000;

const isAlert = (kind: "firing" | "resolved", alertname: string) => momentOf(kind, (m) => m.alertname === alertname);

export class Story {
  private feeder: NodeJS.Timeout | undefined;
  private ordersIncident: string | undefined;

  constructor(private readonly deps: StoryDeps) {}

  /** Plays every beat; rejects with a StoryStalledError naming the step that did not happen. */
  async play(): Promise<void> {
    const { narrator, publish, groupWaitMs, escalationDelayMs, shortened } = this.deps;
    const say = (line: string): void => narrator.say(line);
    const wait = groupWaitMs + MARGIN_MS;

    say("1. The orders service logs a burst of upstream timeouts (rule error-log-burst: more than 10 in a minute):");
    for (let i = 0; i < 11; i++) await publish({ type: "log", source: "pod-7", service: "orders", level: "error", message: `upstream timeout after ${3000 + i} ms` });
    await narrator.waitFor("error-log-burst to fire", isAlert("firing", "error-log-burst"), MARGIN_MS);
    say(`   group_wait (${formatDuration(groupWaitMs)} here) collects the group; policy ops-default then pages level 1, whoever schedule`);
    say("   ops-primary has on call (Alice, by the demo's override), through her notification rules: Slack and e-mail now, SMS later.");
    const page = await narrator.waitFor("the orders incident's first page", momentOf("page", (m) => m.title.startsWith("error-log-burst")), wait);
    this.ordersIncident = page.incidentId;
    await narrator.waitFor("Alice's Slack message", momentOf("delivered", (m) => m.entry.channel === "slack" && m.entry.person === "alice"), MARGIN_MS);
    await narrator.waitFor("Alice's e-mail", momentOf("delivered", (m) => m.entry.channel === "email" && m.entry.person === "alice"), MARGIN_MS);
    this.keepOrdersFailing();

    say("2. web-1 reports its /var filesystem 95% full:");
    await publish({ type: "metric", source: "web-1", name: "disk_used_percent", value: 95, labels: { mount: "/var" } });
    await narrator.waitFor("disk-almost-full to fire", isAlert("firing", "disk-almost-full"), MARGIN_MS);
    try {
      await narrator.waitFor("the disk page on Slack", momentOf("delivered", (m) => m.entry.channel === "slack" && m.entry.text.includes("disk-almost-full")), wait);
    } catch (error) {
      if (!(error instanceof StoryStalledError)) throw error;
      say("   (no notification: routes.json mutes disk alerts during nightly-backup, 01:00–03:00 New York time)");
    }

    say("3. Someone cleans up /var:");
    await publish({ type: "metric", source: "web-1", name: "disk_used_percent", value: 41, labels: { mount: "/var" } });
    await narrator.waitFor("disk-almost-full to resolve", isAlert("resolved", "disk-almost-full"), MARGIN_MS);
    say(`   The resolved alert goes out with the group's next notification (group_interval, ${shortened("5m")} here) and closes its incident.`);

    say("4. A producer sends a malformed event: it is parked on the dead-letter stream, not lost, and nothing stops:");
    await this.deps.publishRaw("events.metric.web-1", '{"type":"metric","source":"web-1","name":"cpu","value":"very high"}');
    await narrator.waitFor("the malformed event's dead letter", momentOf("deadLetter"), MARGIN_MS);

    say(`5. Nobody acknowledges the orders incident (orders keeps failing). Alice's SMS follows ${shortened("2m")} after her page;`);
    say(`   after ${formatDuration(escalationDelayMs)} (level 1's delay; the policy schema allows no less than a minute) level 2 is paged:`);
    say("   whoever schedule api-oncall has on call, and Carol.");
    await narrator.waitFor("Alice's SMS", momentOf("delivered", (m) => m.entry.channel === "sms" && m.entry.person === "alice"), escalationDelayMs + MARGIN_MS);
    await narrator.waitFor("the orders incident to escalate", momentOf("escalated", (m) => m.incidentId === page.incidentId && m.level === 1), escalationDelayMs + wait);
    await narrator.waitFor("Carol's Slack message (level 2)", momentOf("delivered", (m) => m.entry.channel === "slack" && m.entry.person === "carol"), MARGIN_MS);
  }

  /** The orders outage goes on until someone acknowledges its incident; then orders is fixed and the alert resolves. */
  async untilAcknowledged(): Promise<void> {
    const incident = this.ordersIncident;
    if (incident === undefined) return;
    await this.deps.narrator.waitFor("an acknowledgement", momentOf("acknowledged", (m) => m.incidentId === incident));
    this.stop();
    this.deps.narrator.say("   orders is fixed: no more timeouts, so error-log-burst resolves once its one-minute window has 10 or fewer.");
  }

  stop(): void {
    clearInterval(this.feeder);
    this.feeder = undefined;
  }

  private keepOrdersFailing(): void {
    let n = 0;
    this.feeder = setInterval(() => {
      n++;
      void this.deps.publish({ type: "log", source: "pod-7", service: "orders", level: "error", message: `upstream timeout after ${3100 + n} ms` }).catch(() => undefined);
    }, ORDERS_STILL_FAILING_EVERY_MS);
  }
}
