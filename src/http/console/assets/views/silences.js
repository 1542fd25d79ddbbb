// Silences: the list, a form to create one (prefilled from an alert's labels), and expiring one.
import { get, post, query, remove } from "../api.js";
import { actionButton, badge, empty, h, replace } from "../dom.js";
import { formatMatcher, labelMatchers, relative, when } from "../format.js";

export async function renderSilences(root, context) {
  const fingerprint = context.params.get("alert");
  const showExpired = context.params.get("expired") === "1";
  // Only the alert at hand: in a storm, all of them were 30 MB.
  const [silences, alerts] = await Promise.all([get("silences"), fingerprint ? get(`alerts${query({ fingerprint })}`) : Promise.resolve([])]);
  if (!context.isCurrent()) return;
  const alert = alerts.find((a) => a.fingerprint === fingerprint);
  const nowMs = Date.now();
  const shown = silences.filter((s) => showExpired || s.state !== "expired").sort((a, b) => b.startsAtMs - a.startsAtMs);

  replace(root, 
    h(
      "div",
      { class: "toolbar" },
      h("h1", {}, "Silences"),
      h("a", { href: showExpired ? "#/silences" : "#/silences?expired=1" }, showExpired ? "Hide expired" : "Show expired"),
    ),
    createForm(context, alert, fingerprint),
    shown.length === 0 ? empty(showExpired ? "No silences." : "No active or pending silences.") : silenceTable(shown, context, nowMs),
  );
}

function createForm(context, alert, fingerprint) {
  const matchers = h("textarea", { id: "silence-matchers", rows: 4, spellcheck: "false", required: true });
  matchers.value = alert ? labelMatchers(alert.labels).join("\n") : "";
  const duration = h("input", { id: "silence-duration", value: "2h", required: true });
  const comment = h("input", { id: "silence-comment", required: true, placeholder: "why, and who is on it" });
  const form = h(
    "form",
    { class: "panel", novalidate: true },
    h("h2", {}, alert ? `New silence for ${alert.labels.alertname ?? alert.fingerprint}` : "New silence"),
    fingerprint && !alert ? h("p", { class: "error" }, "That alert is no longer known to the engine; write the matchers yourself.") : null,
    alert ? h("p", { class: "muted" }, "Prefilled with every label of the alert; delete the lines you do not want to match on.") : null,
    h(
      "div",
      { class: "form-grid" },
      h("div", { class: "wide" }, h("label", { for: "silence-matchers" }, 'Matchers, one per line (name="value", name=~"regex", name!="value")'), matchers),
      h("div", {}, h("label", { for: "silence-duration" }, "Duration (30m, 2h, 1d)"), duration),
      h("div", {}, h("label", { for: "silence-comment" }, "Comment"), comment),
    ),
    h("button", { type: "submit" }, "Create silence"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const body = {
        matchers: matchers.value.split("\n").map((line) => line.trim()).filter((line) => line !== ""),
        duration: duration.value.trim(),
        comment: comment.value.trim(),
      };
      const silence = await post("silences", body);
      context.notify(`Silence created until ${when(silence.endsAtMs)}.`);
      context.go("#/silences");
    } catch (error) {
      if (error.status !== 401) context.notify(`Could not create the silence: ${error.message}`, "error");
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function silenceTable(silences, context, nowMs) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id: "silences" },
      h("thead", {}, h("tr", {}, ["State", "Matchers", "Created by", "Comment", "Starts", "Ends", ""].map((t) => h("th", {}, t)))),
      h(
        "tbody",
        {},
        silences.map((silence) =>
          h(
            "tr",
            { "data-silence": silence.id },
            h("td", {}, badge(silence.state)),
            h("td", { class: "mono" }, silence.matchers.map((m) => h("div", {}, formatMatcher(m)))),
            h("td", {}, silence.createdBy),
            h("td", { class: "details" }, silence.comment),
            h("td", {}, when(silence.startsAtMs, nowMs)),
            h("td", {}, `${when(silence.endsAtMs, nowMs)} (${relative(silence.endsAtMs, nowMs)})`),
            h(
              "td",
              {},
              silence.state === "expired"
                ? null
                : actionButton("Expire", { class: "danger" }, async () => {
                    try {
                      await remove(`silences/${encodeURIComponent(silence.id)}`);
                      context.notify("Silence expired.");
                      context.go("#/silences");
                    } catch (error) {
                      if (error.status !== 401) context.notify(`Could not expire the silence: ${error.message}`, "error");
                    }
                  }),
            ),
          ),
        ),
      ),
    ),
  );
}
