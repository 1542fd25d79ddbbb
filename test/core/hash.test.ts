import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { sha256Hex, sha256HexPrefix } from "../../src/core/hash.js";
import { prng } from "../support/random.js";

describe("sha256HexPrefix", () => {
  test("is the start of the full hex digest, for text and bytes", () => {
    const random = prng(11);
    for (let i = 0; i < 200; i++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () => String.fromCodePoint(Math.floor(random() * 0x2fff))).join("");
      for (const digits of [2, 16, 20, 64]) {
        assert.equal(sha256HexPrefix(text, digits), sha256Hex(text).slice(0, digits), `${JSON.stringify(text)}, ${digits} digits`);
      }
      const bytes = new TextEncoder().encode(text);
      assert.equal(sha256HexPrefix(bytes, 16), sha256Hex(bytes).slice(0, 16), `bytes of ${JSON.stringify(text)}`);
    }
  });
});
