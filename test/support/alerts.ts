// Alert transitions in a form that reads well in assertions: "firing cpu-high @60", "resolved cpu-high @60..90".
import type { AlertTransition } from "../../src/alerts/alert.js";
import { T0, SECOND } from "./events.js";

const seconds = (ms: number): string => String((ms - T0) / SECOND);

/** One line per transition: status, alertname (with "[flapping]" for a flapping alert), times in seconds after T0. */
export function timeline(transitions: readonly AlertTransition[]): string[] {
  return transitions.map((t) => {
    const name = `${t.labels.alertname ?? "?"}${t.labels.flapping === "true" ? "[flapping]" : ""}`;
    return t.status === "firing"
      ? `firing ${name} @${seconds(t.startsAtMs)}`
      : `resolved ${name} @${seconds(t.startsAtMs)}..${t.endsAtMs === undefined ? "?" : seconds(t.endsAtMs)}`;
  });
}
