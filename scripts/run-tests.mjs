#!/usr/bin/env node
// Runs every test/**/*.test.ts file with Node's own test runner (Node 20 has no --test glob support).
// Usage: npm test [-- substring ...] to run only the files whose path contains one of the substrings.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function collect(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (entry.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect("test").filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(", ")}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
const result = spawnSync(
  process.execPath,
  // A test that hangs fails after five minutes instead of holding CI until its own deadline.
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-timeout=300000", "--test-reporter=spec", ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
