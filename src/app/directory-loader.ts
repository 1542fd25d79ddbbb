import type { Routing } from "../alerts/routing.js";
import type { ValidationIssue } from "../core/errors.js";
import { sha256Hex, canonicalJson } from "../core/hash.js";
import type { OnCallDirectory } from "../escalate/directory.js";
import type { Pageable } from "../escalate/pages.js";
import { loadPolicies } from "../rules/policy-loader.js";
import { CHANNEL_CONTACT, loadSchedules, onCallAt, type Schedule, type User } from "../schedules/index.js";

export interface DirectoryLoad {
  directory: OnCallDirectory;
  issues: ValidationIssue[];
  /** Changes whenever a policy, user or schedule changes: reloads compare it. */
  hash: string;
  files: string[];
  /** The users and schedules behind `directory`, for views of the rota (the console). */
  roster: { users: User[]; schedules: Schedule[] };
}

function pageable(user: User): Pageable {
  const contacts: Record<string, string | undefined> = {};
  for (const [channel, contact] of Object.entries(CHANNEL_CONTACT)) contacts[channel] = user.contacts[contact];
  return { id: user.id, contacts, notificationRules: user.notificationRules.map((r) => ({ channel: r.channel, after: r.afterMs })) };
}

/**
 * Policies, users and schedules from the rules directory, checked against each other and against the routing tree:
 * a receiver naming an unknown policy, a policy naming an unknown user or schedule, are errors with file + path.
 */
export async function loadDirectory(rulesDir: string, routing: Routing): Promise<DirectoryLoad> {
  const { policies, files, issues } = await loadPolicies(rulesDir);
  const scheduleSet = await loadSchedules(rulesDir);
  issues.push(...scheduleSet.issues);
  const users = new Map(scheduleSet.users.map((u) => [u.id, u] as const));
  const schedules = new Map(scheduleSet.schedules.map((s) => [s.id, s] as const));
  for (const [id, policy] of policies) {
    const file = files.get(id) as string;
    policy.levels.forEach((level, i) =>
      level.targets.forEach((target, j) => {
        const path = `levels[${i}].targets[${j}]`;
        if ("user" in target && !users.has(target.user)) issues.push({ file, path: `${path}.user`, message: `unknown user "${target.user}" (not in users/users.json)` });
        if ("schedule" in target && !schedules.has(target.schedule)) issues.push({ file, path: `${path}.schedule`, message: `unknown schedule "${target.schedule}" (known: ${[...schedules.keys()].join(", ") || "none"})` });
      }),
    );
  }
  routing.receivers.forEach((receiver, i) => {
    if (receiver.policy !== undefined && !policies.has(receiver.policy)) {
      issues.push({ file: "routes/routes.json", path: `receivers[${i}].policy`, message: `unknown escalation policy "${receiver.policy}" (known: ${[...policies.keys()].join(", ") || "none"})` });
    }
  });
  const policyOfReceiver = new Map(routing.receivers.flatMap((r) => (r.policy ? [[r.name, r.policy] as const] : [])));
  const pageables = new Map([...users.values()].map((u) => [u.id, pageable(u)] as const));
  const directory: OnCallDirectory = {
    policies,
    users: pageables,
    onCall: (scheduleId, atMs) => {
      const schedule = schedules.get(scheduleId);
      return schedule ? onCallAt(schedule, atMs).users : [];
    },
    policyOf: (receiver) => policyOfReceiver.get(receiver),
  };
  const hash = sha256Hex(canonicalJson({ policies: [...policies.values()], users: scheduleSet.users, schedules: scheduleSet.schedules, receivers: [...policyOfReceiver] }));
  return { directory, issues, hash, files: [...files.values()], roster: { users: scheduleSet.users, schedules: scheduleSet.schedules } };
}
