/** Alert labels: name → value. */
export type Labels = Readonly<Record<string, string>>;

/** An Alertmanager-style label matcher: `team="api"`, `team!="api"`, `team=~"api|web"`, `team!~"api|web"`. */
export type MatchOperator = "=" | "!=" | "=~" | "!~";

export interface Matcher {
  readonly name: string;
  readonly op: MatchOperator;
  readonly value: string;
}
