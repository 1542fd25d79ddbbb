import { test } from "node:test";
import assert from "node:assert/strict";
import { fitSms, fitsOneSegment, isGsm7, smsUnits, toGsm7 } from "../../src/notify/sms-text.js";

test("GSM-7 text counts extension characters twice; anything else is UCS-2 with 70 per segment", () => {
  assert.deepEqual(smsUnits("disk 95% full @ web-1"), { encoding: "GSM-7", units: 21, segmentSize: 160 });
  assert.deepEqual(smsUnits("{ok}"), { encoding: "GSM-7", units: 6, segmentSize: 160 });
  assert.deepEqual(smsUnits("Überlast 🔥"), { encoding: "UCS-2", units: 11, segmentSize: 70 });
  assert.equal(fitsOneSegment("x".repeat(160)), true);
  assert.equal(fitsOneSegment(`${"x".repeat(159)}€`), false);
});

test("typographic characters become their GSM-7 look-alikes", () => {
  assert.equal(toGsm7("it’s “down” — again…"), 'it\'s "down" - again...');
  assert.equal(isGsm7(toGsm7("it’s “down” — again…")), true);
});

test("only the title is shortened, and only as much as needed; fixed text is kept", () => {
  const render = (title: string): string => `CRIT: ${title} - reply ACK 4821`;
  assert.equal(fitSms(render, "short"), "CRIT: short - reply ACK 4821");
  const fitted = fitSms(render, "y".repeat(300));
  assert.equal(fitted.length, 160);
  assert.match(fitted, /^CRIT: y+\.\.\. - reply ACK 4821$/);
  // A fixed text that cannot fit is sent whole, in several segments.
  assert.equal(fitSms((t) => `${"z".repeat(200)} ${t}`, "t"), `${"z".repeat(200)} t`);
});
