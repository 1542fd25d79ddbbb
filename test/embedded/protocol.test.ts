import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError, ProtocolParser, messageOp, type ClientOp } from "../../src/store/embedded/protocol.js";
import { decodeHeaders, encodeHeaders, headerValue } from "../../src/store/embedded/headers.js";

const bytes = (s: string): Buffer => Buffer.from(s, "utf8");

/** Feeds `input` cut at every position in `cuts`, collecting every op. */
function parseInPieces(input: Buffer, cuts: number[]): ClientOp[] {
  const parser = new ProtocolParser();
  const ops: ClientOp[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    ops.push(...parser.push(input.subarray(from, cut)));
    from = cut;
  }
  return ops;
}

describe("embedded NATS protocol parser", () => {
  const payload = "grüße, 世界 🚨"; // multibyte characters: byte count ≠ string length
  const headerBlock = "NATS/1.0\r\nA: é-1\r\n\r\n";
  const headerBytes = Buffer.byteLength(headerBlock);
  const stream = Buffer.concat([
    bytes(`CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nPING\r\n`),
    bytes(`SUB foo.* 1\r\nSUB bar q1 2\r\n`),
    bytes(`PUB foo.a _INBOX.x ${Buffer.byteLength(payload)}\r\n${payload}\r\n`),
    bytes(`HPUB foo.b ${headerBytes} ${headerBytes + Buffer.byteLength(payload)}\r\n${headerBlock}${payload}\r\n`),
    bytes("UNSUB 1 5\r\nPONG\r\n"),
  ]);

  test("a whole buffer yields every op, payloads framed by bytes, not characters", () => {
    const ops = parseInPieces(stream, []);
    assert.deepEqual(ops.map((op) => op.kind), ["connect", "ping", "sub", "sub", "pub", "pub", "unsub", "pong"]);
    const [, , , queued, pub, hpub, unsub] = ops;
    assert.deepEqual(queued, { kind: "sub", subject: "bar", queue: "q1", sid: "2" });
    assert.ok(pub?.kind === "pub" && hpub?.kind === "pub" && unsub?.kind === "unsub");
    assert.equal(pub.reply, "_INBOX.x");
    assert.equal(Buffer.from(pub.payload).toString("utf8"), payload);
    assert.equal(Buffer.from(hpub.payload).toString("utf8"), payload);
    assert.equal(headerValue(decodeHeaders(hpub.headers), "A"), "é-1");
    assert.equal(unsub.max, 5);
  });

  test("the same ops whatever the TCP chunking, even a cut inside a multibyte character", () => {
    const whole = parseInPieces(stream, []);
    for (let cut = 1; cut < stream.length; cut++) assert.deepEqual(parseInPieces(stream, [cut]), whole, `cut at byte ${cut}`);
    const everyByte = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(parseInPieces(stream, everyByte), whole);
  });

  test("a payload longer than declared, a bad size and an unknown verb are protocol errors", () => {
    assert.throws(() => new ProtocolParser().push(bytes("PUB a 2\r\nabc\r\n")), ProtocolError);
    assert.throws(() => new ProtocolParser().push(bytes("PUB a x\r\n")), ProtocolError);
    assert.throws(() => new ProtocolParser().push(bytes("HPUB a 10 5\r\n")), ProtocolError);
    assert.throws(() => new ProtocolParser().push(bytes("HELLO\r\n")), ProtocolError);
    assert.throws(() => new ProtocolParser().push(bytes("CONNECT [1]\r\n")), ProtocolError);
  });

  test("MSG and HMSG carry byte counts of headers and payload", () => {
    const data = bytes("é");
    assert.equal(messageOp("s", "7", undefined, undefined, data).toString("utf8"), "MSG s 7 2\r\né\r\n");
    const headers = encodeHeaders([["K", "v"]]);
    const frame = messageOp("s", "7", "r", headers, data).toString("utf8");
    assert.equal(frame, `HMSG s 7 r ${headers.length} ${headers.length + 2}\r\nNATS/1.0\r\nK: v\r\n\r\né\r\n`);
  });

  test("status headers round-trip code, description and entries", () => {
    const block = decodeHeaders(encodeHeaders([["Nats-Pending-Messages", "3"]], 408, "Request Timeout"));
    assert.equal(block.code, 408);
    assert.equal(block.description, "Request Timeout");
    assert.equal(headerValue(block, "nats-pending-messages"), "3");
  });
});
