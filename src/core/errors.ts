/**
 * Base of every error Klaxon throws on purpose. `retryable` is a property, so callers decide by class and
 * flag, never by matching message text.
 */
export class AppError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
  }
}

/** One thing wrong in one file, at one JSON path: what `klaxon check` prints. */
export interface ValidationIssue {
  file: string;
  path: string;
  message: string;
}

export function formatIssue(issue: ValidationIssue): string {
  return `${issue.file}: ${issue.path === "" ? "(root)" : issue.path}: ${issue.message}`;
}

export class ValidationError extends AppError {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map(formatIssue).join("\n"));
  }
}

/** What is wrong with a message, for a dead letter or a log line: the first few issues, each at its JSON path. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, max = 5): string {
  return issues
    .slice(0, max)
    .map((i) => `${jsonPath(i.path) || "(root)"}: ${i.message}`)
    .join("; ");
}

/** Render a JSON path such as `conditions.all[0].operator` from zod-style path segments. */
export function jsonPath(segments: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
