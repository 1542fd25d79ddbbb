/**
 * Node flags `klaxon run` is meant to start with (the Dockerfile and `npm start` give them). V8's young generation
 * grows to 32 MiB by default, sized for throughput; capped by smaller semi-spaces, a storm of 100,000 alerts peaked
 * ~20 MB lower, with no measurable cost to catch-up (docs/performance.md). A start-up flag: a running process cannot
 * set it for itself, hence a flag and not a config key.
 */
export const RECOMMENDED_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/** The flag's name as V8 reads it: dashes and underscores alike. */
function flagName(flag: string): string {
  return flag.replace(/^--/, "").split("=")[0]?.replaceAll("_", "-") ?? "";
}

/**
 * The recommended flags whose setting the process was started without, from its command line (`process.execArgv`)
 * and `NODE_OPTIONS`. A flag set to another value counts as set: that is the operator's choice.
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = new Set([...execArgv, ...(nodeOptions ?? "").split(/\s+/)].filter((flag) => flag.startsWith("--")).map(flagName));
  return RECOMMENDED_NODE_FLAGS.filter((flag) => !given.has(flagName(flag)));
}
