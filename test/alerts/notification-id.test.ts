import { test } from "node:test";
import assert from "node:assert/strict";
import { notificationId } from "../../src/alerts/notification-id.js";
import type { AlertRecord } from "../../src/alerts/dispatcher.types.js";
import { fingerprint } from "../../src/alerts/fingerprint.js";

const alert = (source: string): AlertRecord => {
  const labels = { alertname: "disk", source };
  return { fingerprint: fingerprint(labels), status: "firing", labels, annotations: {}, startsAtMs: 0 };
};
const group = { id: "g1", episode: "e1", notificationCount: 3 };

test("the same notification gives the same id, whatever the order of its alerts", () => {
  const [a, b, c] = [alert("a"), alert("b"), alert("c")];
  assert.equal(notificationId(group, [a, b, c], []), notificationId(group, [c, a, b], []));
  assert.match(notificationId(group, [a, b, c], []), /^g1:e1:3:[0-9a-z]{1,8}$/);
});

test("a notification that tells more under the same count gets an id of its own", () => {
  const [a, b] = [alert("a"), alert("b")];
  const ids = new Set([notificationId(group, [a], []), notificationId(group, [a, b], []), notificationId(group, [b], []), notificationId(group, [a], [b]), notificationId(group, [], [a, b])]);
  assert.equal(ids.size, 5);
});

test("a group stored before episodes existed keeps <group>:<n>", () => {
  assert.equal(notificationId({ id: "g1", notificationCount: 3 }, [alert("a")], []), "g1:3");
});
