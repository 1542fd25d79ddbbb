import { execFile } from "node:child_process";

export interface GitRevision {
  commit: string;
  /** Files under the directory differ from the commit (edited, added or deleted, not yet committed). */
  dirty: boolean;
}

const GIT_TIMEOUT_MS = 5_000;

function git(dir: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("git", ["-C", dir, ...args], { timeout: GIT_TIMEOUT_MS, windowsHide: true }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

/**
 * The commit a rules directory is checked out at, and whether its files differ from it, so the audit trail can say
 * which reviewed version was loaded. Undefined when the directory is not in a git checkout (or git is missing):
 * the content hashes in the records still identify what ran.
 */
export async function gitRevision(dir: string): Promise<GitRevision | undefined> {
  const head = await git(dir, ["rev-parse", "HEAD"]);
  const commit = head?.trim();
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const status = await git(dir, ["status", "--porcelain", "--untracked-files=normal", "--", "."]);
  // A status that cannot be read says "dirty": the trail must not vouch for files it could not compare.
  return { commit, dirty: status === undefined || status.trim() !== "" };
}
