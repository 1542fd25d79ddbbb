import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { AppError } from "../core/errors.js";

export class TokenFileError extends AppError {}

/**
 * Bearer tokens for the HTTP API, read from a file of "<actor> <token>" lines (# comments allowed). Tokens are kept
 * only as SHA-256 digests and compared in constant time; the actor name is what the audit trail records.
 */
export class TokenAuth {
  private constructor(private readonly entries: ReadonlyArray<{ actor: string; digest: Buffer }>) {}

  static fromText(text: string, source: string): TokenAuth {
    const entries: Array<{ actor: string; digest: Buffer }> = [];
    text.split("\n").forEach((line, i) => {
      const trimmed = line.trim();
      if (trimmed === "" || trimmed.startsWith("#")) return;
      const [actor, token, extra] = trimmed.split(/\s+/);
      if (!actor || !token || extra !== undefined) throw new TokenFileError(`${source}: line ${i + 1}: expected "<actor> <token>"`);
      if (token.length < 16) throw new TokenFileError(`${source}: line ${i + 1}: the token for "${actor}" is shorter than 16 characters`);
      entries.push({ actor, digest: digest(token) });
    });
    return new TokenAuth(entries);
  }

  static fromFile(path: string): TokenAuth {
    return TokenAuth.fromText(readFileSync(path, "utf8"), path);
  }

  static none(): TokenAuth {
    return new TokenAuth([]);
  }

  /** The actor for an Authorization header value, or undefined. */
  authenticate(header: string | undefined): string | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
    if (!match) return undefined;
    const candidate = digest(match[1] as string);
    let actor: string | undefined;
    for (const entry of this.entries) if (timingSafeEqual(entry.digest, candidate)) actor = entry.actor;
    return actor;
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
