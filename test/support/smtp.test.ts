import { test } from "node:test";
import { strict as assert } from "node:assert";
import { connect } from "node:net";
import { eventually } from "./engine.js";
import { SmtpSink } from "./smtp.js";

// The chaos run SIGKILLs engines in the middle of SMTP sessions: the sink must take a reset connection in its stride
// (and say so), not crash the process that hosts it.
test("a client that resets its connection mid-session is recorded, and the sink keeps receiving", async () => {
  const smtp = await SmtpSink.start();
  try {
    const socket = connect(smtp.port, "127.0.0.1");
    // A reply is complete at its last line, "NNN text" (the lines before it are "NNN-text").
    let received = "";
    const replied = (): Promise<void> =>
      new Promise<void>((resolve) => {
        const onData = (data: Buffer): void => {
          received += data.toString("utf8");
          if (!/^\d{3} .*\r\n/m.test(received)) return;
          received = "";
          socket.off("data", onData);
          resolve();
        };
        socket.on("data", onData);
      });
    const reply = (line: string): Promise<void> => {
      socket.write(`${line}\r\n`);
      return replied();
    };
    await replied(); // the server's greeting
    await reply("EHLO killed.example");
    // Inside a transaction: smtp-server keeps quiet about a reset outside one.
    await reply("MAIL FROM:<klaxon@example.com>");
    socket.resetAndDestroy();
    const error = await eventually("the reset connection's error", () => smtp.connectionErrors[0]);
    assert.match(String((error as NodeJS.ErrnoException).code), /ECONNRESET/);

    // Still up: a new session is greeted.
    const next = connect(smtp.port, "127.0.0.1");
    const greeting = await new Promise<string>((resolve) => next.once("data", (data: Buffer) => resolve(data.toString("utf8"))));
    next.destroy();
    assert.match(greeting, /^220 /);
  } finally {
    await smtp.close();
  }
});
