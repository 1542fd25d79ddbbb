// Channel tests assert on how a send or lookup fails: this awaits the promise and hands back its DeliveryError.
import assert from "node:assert/strict";
import { DeliveryError } from "../../src/notify/errors.js";

/** The DeliveryError `promise` rejects with; any other error is rethrown, and success fails the test. */
export async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DeliveryError) return error;
    throw error;
  }
  assert.fail("expected a DeliveryError");
}
