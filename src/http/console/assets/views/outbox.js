// The demo's outbox: what its local Slack, e-mail and SMS stand-ins received. Only the demo (npm run demo) serves
// GET /api/v1/outbox, so the view's link is shown only where that endpoint answers.
import { ApiError, get } from "../api.js";
import { badge, empty, h, replace } from "../dom.js";
import { fullTime } from "../format.js";

const REFRESH_MS = 5_000;
// Seconds matter here: a page, its SMS and its escalation are seconds apart in the demo.
const clockTime = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const CHANNEL_NAMES = { slack: "Slack", email: "E-mail", sms: "SMS" };
const KIND_NOTES = { update: "edit of an earlier message", reply: "reply in its thread" };

/**
 * True when this engine serves the outbox: whoami lists "outbox" among its features only in the demo. Asking the
 * engine, rather than probing for a 404, keeps production consoles free of failed requests.
 */
export function outboxAvailable(features) {
  return Array.isArray(features) && features.includes("outbox");
}

export async function renderOutbox(root, context) {
  let shown = -1;
  const load = async () => {
    let entries;
    try {
      entries = await get("outbox");
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        return replace(root, heading(), h("p", { class: "empty unavailable", "data-unavailable": "GET /api/v1/outbox" }, "The outbox belongs to the demo (npm run demo): this engine delivers to the real Slack, e-mail and SMS providers."));
      }
      throw error;
    }
    // Redrawn only when something arrived, so an e-mail opened for reading stays open.
    if (!context.isCurrent() || entries.length === shown) return;
    shown = entries.length;
    draw(root, entries);
  };
  await load();
  context.every(REFRESH_MS, load);
}

function heading() {
  return h("div", { class: "toolbar" }, h("h1", {}, "Outbox"));
}

function draw(root, entries) {
  const open = new Set([...root.querySelectorAll("details[open]")].map((d) => d.dataset.seq));
  const newestFirst = entries.slice().sort((a, b) => b.atMs - a.atMs || b.seq - a.seq);
  replace(
    root,
    heading(),
    h("p", { class: "muted" }, "What the demo's local stand-ins for Slack, e-mail and SMS received, newest first. Nothing here left this machine."),
    newestFirst.length === 0
      ? empty("Nothing received yet: the first pages arrive a few seconds after the demo starts.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "outbox" },
            h("thead", {}, h("tr", {}, ["Time", "Channel", "To", "Message"].map((t) => h("th", {}, t)))),
            h(
              "tbody",
              {},
              newestFirst.map((entry) =>
                h(
                  "tr",
                  { "data-channel": entry.channel },
                  h("td", { title: fullTime(entry.atMs) }, clockTime.format(entry.atMs)),
                  h("td", {}, badge(CHANNEL_NAMES[entry.channel] ?? entry.channel, `channel-${entry.channel}`)),
                  h("td", {}, entry.person ? [h("strong", {}, entry.person), h("div", { class: "muted mono" }, entry.to)] : h("span", { class: "mono" }, entry.to)),
                  h("td", { class: "details" }, message(entry, open)),
                ),
              ),
            ),
          ),
        ),
  );
}

function message(entry, open) {
  const note = KIND_NOTES[entry.kind];
  return [
    h("div", { class: "outbox-text" }, entry.text),
    note ? h("div", { class: "muted" }, note) : null,
    entry.body ? h("details", { "data-seq": entry.seq, open: open.has(String(entry.seq)) }, h("summary", {}, "Body"), h("pre", { class: "outbox-body" }, entry.body)) : null,
  ];
}
