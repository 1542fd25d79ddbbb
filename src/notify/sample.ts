import { buildContext } from "./context.js";
import type { Purpose, TemplateContext } from "./model.js";

const T = Date.UTC(2026, 10, 25, 10, 0, 0);

const SAMPLE_ALERTS = [
  {
    fingerprint: "3f1c0a9d2b7e4c55",
    status: "firing" as const,
    labels: { alertname: "api-latency-high", severity: "critical", service: "checkout", team: "api" },
    annotations: { summary: "checkout latency is 812 ms (5m average)" },
    startsAtMs: T - 120_000,
  },
  {
    fingerprint: "9a0b1c2d3e4f5a6b",
    status: "resolved" as const,
    labels: { alertname: "api-latency-high", severity: "warning", service: "checkout", region: "eu-west" },
    annotations: {},
    startsAtMs: T - 600_000,
    endsAtMs: T - 60_000,
  },
];

/**
 * Contexts that every template must render against (`klaxon check`, tests): a page to a person with an incident and
 * a reply code, and a receiver's channel copy with neither. Between them every optional value is null once.
 */
export function sampleContexts(purpose: Purpose): Array<{ name: string; context: TemplateContext }> {
  const incident = {
    id: "5c2f0e7a91b3d4c6e8f0-1",
    state: purpose === "acknowledged" ? ("acknowledged" as const) : purpose === "resolved" ? ("resolved" as const) : ("triggered" as const),
    level: purpose === "escalated" ? 1 : 0,
    round: 0,
    ...(purpose === "acknowledged" || purpose === "resolved" ? { acknowledgedBy: "alice", acknowledgedVia: "slack" } : {}),
    ...(purpose === "resolved" ? { resolvedBy: "bob", resolvedVia: "sms" } : {}),
  };
  const common = {
    purpose,
    title: "api-latency-high and 1 more: checkout latency is 812 ms (5m average)",
    receiver: "api-oncall",
    groupId: "5c2f0e7a91b3d4c6e8f0",
    groupLabels: { alertname: "api-latency-high", service: "checkout" },
    alerts: SAMPLE_ALERTS,
    atMs: T,
  };
  return [
    { name: "a page with an incident", context: buildContext({ ...common, incident, recipient: { id: "alice", name: "Alice Example" }, replyCode: "4821" }) },
    { name: "a receiver's channel without an incident", context: buildContext(common) },
  ];
}
