import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AlertCommits, MAX_MESSAGES_PER_COMMIT, type AlertAudit } from "../../src/app/alert-commits.js";
import type { EncodedStateChanges } from "../../src/store/jetstream/alert-state-store.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));

function alertChange(fingerprint: string, value: string | undefined): EncodedStateChanges {
  return { alerts: new Map([[fingerprint, value === undefined ? undefined : bytes(value)]]), groups: new Map() };
}

const audit = (subject: string): AlertAudit => ({ action: "alert.fired", subject, details: {} });

/** A message that notes its acknowledgement in the shared log. */
function message(name: string, log: string[]): { ack(): void } {
  return { ack: () => log.push(`ack ${name}`) };
}

/** Deps whose writes wait until the test lets them finish; every call is logged in order. */
function gatedDeps(log: string[]) {
  const writes: Array<{ changes: EncodedStateChanges; finish: (error?: Error) => void }> = [];
  const failures: unknown[] = [];
  const role = { held: true };
  return {
    writes,
    failures,
    role,
    deps: {
      stillOwner: (): Promise<boolean> => {
        log.push("lease checked");
        return Promise.resolve(role.held);
      },
      recordAudit: (a: AlertAudit): Promise<void> => {
        log.push(`audit ${a.subject}`);
        return Promise.resolve();
      },
      writeState: (changes: EncodedStateChanges): Promise<void> => {
        log.push(`write ${[...changes.alerts.keys()].join(",")}`);
        return new Promise<void>((resolve, reject) => writes.push({ changes, finish: (error) => (error ? reject(error) : resolve()) }));
      },
      failed: (error: unknown): void => {
        failures.push(error);
      },
    },
  };
}

const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe("alert stage group commit", () => {
  test("a lone message is stored at once; those staged meanwhile go in one commit, each acknowledged only once stored", async () => {
    const log: string[] = [];
    const { deps, writes } = gatedDeps(log);
    const commits = new AlertCommits(deps);
    const first = commits.stage(message("m1", log), [audit("a1")], alertChange("a1", "v1"));
    await turns();
    assert.deepEqual(log, ["audit a1", "write a1"], "the first message's commit started without waiting for more");

    const second = commits.stage(message("m2", log), [audit("a2")], alertChange("a2", "v1"));
    const third = commits.stage(message("m3", log), [audit("a3")], alertChange("a3", "v1"));
    assert.equal(commits.backlog, 2);
    await turns();
    assert.equal(writes.length, 1, "no second write while the first is in flight");
    assert.ok(!log.includes("ack m1"), "m1 is not acknowledged before its state is stored");

    writes[0]?.finish();
    await first;
    await turns();
    assert.deepEqual(log, ["audit a1", "write a1", "lease checked", "ack m1", "audit a2", "audit a3", "write a2,a3"]);
    writes[1]?.finish();
    await Promise.all([second, third]);
    assert.deepEqual(log.slice(-3), ["lease checked", "ack m2", "ack m3"]);
    assert.equal(writes.length, 2, "three messages, two commits");
    await commits.idle();
  });

  test("a commit carries a bounded number of messages; the rest follow in order", async () => {
    const log: string[] = [];
    const { deps, writes } = gatedDeps(log);
    const commits = new AlertCommits(deps);
    const total = 2 * MAX_MESSAGES_PER_COMMIT + 4;
    for (let i = 0; i < total; i++) void commits.stage(message(`m${i}`, log), [], alertChange(`a${i}`, "v"));
    for (let done = 0; done < 4; done++) {
      await turns();
      writes[done]?.finish();
    }
    await commits.idle();
    assert.deepEqual(
      writes.map((w) => w.changes.alerts.size),
      [1, MAX_MESSAGES_PER_COMMIT, MAX_MESSAGES_PER_COMMIT, 3],
    );
    assert.deepEqual(
      log.filter((line) => line.startsWith("ack")),
      Array.from({ length: total }, (_, i) => `ack m${i}`),
    );
  });

  test("within a commit a key's later change wins, a delete included", async () => {
    const log: string[] = [];
    const { deps, writes } = gatedDeps(log);
    const commits = new AlertCommits(deps);
    void commits.stage(message("m0", log), [], alertChange("x", "blocker"));
    void commits.stage(message("m1", log), [], alertChange("a", "firing"));
    void commits.stage(message("m2", log), [], alertChange("b", "firing"));
    void commits.stage(message("m3", log), [], alertChange("a", "resolved"));
    void commits.stage(message("m4", log), [], alertChange("b", undefined));
    await turns();
    writes[0]?.finish();
    await turns();
    const second = writes[1]?.changes;
    assert.ok(second);
    assert.deepEqual([...second.alerts].map(([fp, value]) => [fp, text(value)]), [["a", "resolved"], ["b", undefined]]);
    writes[1]?.finish();
    await commits.idle();
  });

  test("a commit that fails acknowledges none of its messages, is reported, and the next commit still runs", async () => {
    const log: string[] = [];
    const { deps, writes, failures } = gatedDeps(log);
    const commits = new AlertCommits(deps);
    const failing = commits.stage(message("m1", log), [], alertChange("a1", "v"));
    const next = commits.stage(message("m2", log), [], alertChange("a2", "v"));
    await turns();
    writes[0]?.finish(new Error("max_payload exceeded"));
    await assert.rejects(failing, /max_payload/);
    await turns();
    writes[1]?.finish();
    await next;
    assert.deepEqual(log.filter((line) => line.startsWith("ack")), ["ack m2"]);
    assert.equal(failures.length, 1);
  });

  test("audit records are stored before the state they go with", async () => {
    const log: string[] = [];
    let releaseAudit!: () => void;
    const commits = new AlertCommits({
      recordAudit: (a) => {
        log.push(`audit ${a.subject} started`);
        return new Promise<void>((resolve) => {
          releaseAudit = () => {
            log.push(`audit ${a.subject} stored`);
            resolve();
          };
        });
      },
      writeState: () => {
        log.push("write");
        return Promise.resolve();
      },
      stillOwner: () => Promise.resolve(true),
      failed: () => undefined,
    });
    const stored = commits.stage(message("m1", log), [audit("a1")], alertChange("a1", "v"));
    await turns();
    assert.deepEqual(log, ["audit a1 started"], "no state written while its audit record is not stored");
    releaseAudit();
    await stored;
    assert.deepEqual(log, ["audit a1 started", "audit a1 stored", "write", "ack m1"]);
  });

  test("something staged as the last commit finishes is committed too", async () => {
    const log: string[] = [];
    const { deps, writes } = gatedDeps(log);
    const commits = new AlertCommits(deps);
    let late: Promise<void> | undefined;
    // Staged from a microtask queued as m1 is acknowledged: after the commit loop found nothing waiting, before it ended.
    const m1 = { ack: () => queueMicrotask(() => (late = commits.stage(message("m2", log), [], alertChange("a2", "v")))) };
    void commits.stage(m1, [], alertChange("a1", "v"));
    await turns();
    writes[0]?.finish();
    await turns();
    assert.equal(writes.length, 2, "the late message's commit started");
    writes[1]?.finish();
    await late;
    assert.deepEqual(log.at(-1), "ack m2");
  });

  test("a commit stored after another replica took the role over acknowledges nothing, and nothing more is written", async () => {
    const log: string[] = [];
    const { deps, writes, failures, role } = gatedDeps(log);
    const commits = new AlertCommits(deps);
    const taken = commits.stage(message("m1", log), [], alertChange("a1", "v"));
    const after = commits.stage(message("m2", log), [], alertChange("a2", "v"));
    await turns();
    role.held = false;
    writes[0]?.finish();
    await assert.rejects(taken, /took the coordinator role over/);
    await assert.rejects(after, /halted/);
    await commits.idle();
    assert.equal(writes.length, 1, "no write after the role was found taken");
    assert.deepEqual(log.filter((line) => line.startsWith("ack")), []);
    assert.equal(failures.length, 1);
  });

  test("halted, nothing more is acknowledged and whoever waits is let go", async () => {
    const log: string[] = [];
    const { deps, writes } = gatedDeps(log);
    const commits = new AlertCommits(deps);
    const inFlight = commits.stage(message("m1", log), [], alertChange("a1", "v"));
    const staged = commits.stage(message("m2", log), [], alertChange("a2", "v"));
    await turns();
    commits.halt();
    await assert.rejects(staged, /halted/);
    writes[0]?.finish();
    await assert.rejects(inFlight, /halted/);
    await commits.idle();
    assert.equal(writes.length, 1);
    assert.deepEqual(log.filter((line) => line.startsWith("ack")), []);
    // Staged after the halt: refused at once, so that nobody waits for it for ever.
    await assert.rejects(commits.stage(message("m3", log), [], alertChange("a3", "v")), /halted/);
    assert.equal(commits.backlog, 0);
  });
});
