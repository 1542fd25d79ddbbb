// A rules directory with one rule, a route with an escalation policy and one on-call person: enough for an alert to
// fire, open an incident and page. It is a git checkout, so the audit trail can name the commit.
import { execFileSync } from "node:child_process";
import { rulesDir } from "../support/engine.js";
import { dbDownRule, writeJson } from "../support/oncall-fixtures.js";

export async function pagingRules(): Promise<string> {
  const dir = await rulesDir([dbDownRule]);
  await writeJson(dir, "routes/routes.json", { version: 1, route: { receiver: "db", groupWait: "0s", groupInterval: "1s" }, receivers: [{ name: "db", policy: "db-policy" }] });
  await writeJson(dir, "policies/db-policy.json", { id: "db-policy", version: 1, levels: [{ targets: [{ user: "alice" }], delay: "30m" }] });
  await writeJson(dir, "users/users.json", {
    version: 1,
    users: [{ id: "alice", name: "Alice", timeZone: "Europe/Berlin", contacts: { slack: "U0ALICE" }, notificationRules: [{ channel: "slack", after: "0m" }] }],
  });
  return dir;
}

/** Make `dir` a git checkout with everything committed; returns the commit. */
export function commitAll(dir: string): string {
  const git = (...args: string[]): string => execFileSync("git", ["-C", dir, "-c", "user.name=test", "-c", "user.email=test@example.com", ...args], { encoding: "utf8" });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "rules");
  return git("rev-parse", "HEAD").trim();
}
