// JetStream API errors in the shape the client reads (`{error: {code, err_code, description}}`), with the err_codes
// nats-server uses: the v3 client picks error classes by err_code and a few callers compare descriptions.
import { AppError } from "../../../core/errors.js";

export class JsApiError extends AppError {
  constructor(
    /** HTTP-like status. */
    readonly status: number,
    /** JetStream's error code (JetStreamApiCodes in @nats-io/jetstream). */
    readonly errCode: number,
    readonly description: string,
  ) {
    super(description);
  }

  toJSON(): { error: { code: number; err_code: number; description: string } } {
    return { error: { code: this.status, err_code: this.errCode, description: this.description } };
  }
}

export const jsErrors = {
  badRequest: (detail = "bad request") => new JsApiError(400, 10003, detail),
  streamNotFound: () => new JsApiError(404, 10059, "stream not found"),
  consumerNotFound: () => new JsApiError(404, 10014, "consumer not found"),
  streamNameInUse: () => new JsApiError(400, 10058, "stream name already in use with a different configuration"),
  streamInvalidConfig: (detail: string) => new JsApiError(500, 10052, detail),
  replicasNotSupported: () => new JsApiError(500, 10074, "replicas > 1 not supported in non-clustered mode"),
  subjectsOverlap: () => new JsApiError(400, 10065, "subjects overlap with an existing stream"),
  consumerExists: () => new JsApiError(400, 10148, "consumer already exists"),
  consumerDoesNotExist: () => new JsApiError(400, 10149, "consumer does not exist"),
  consumerCreate: (detail: string) => new JsApiError(500, 10012, detail),
  noMessageFound: () => new JsApiError(404, 10037, "no message found"),
  wrongLastSequence: (last: number) => new JsApiError(400, 10071, `wrong last sequence: ${last}`),
  wrongLastMsgId: (id: string) => new JsApiError(400, 10070, `wrong last msg ID: ${id}`),
  streamNotMatch: () => new JsApiError(400, 10060, "expected stream does not match"),
  messageTooBig: () => new JsApiError(400, 10054, "message size exceeds maximum allowed"),
  maxMessages: () => new JsApiError(503, 10077, "maximum messages exceeded"),
  maxBytes: () => new JsApiError(503, 10077, "maximum bytes exceeded"),
  maxMessagesPerSubject: () => new JsApiError(503, 10077, "maximum messages per subject exceeded"),
  rollupNotPermitted: () => new JsApiError(400, 10003, "rollup not permitted"),
  deleteDenied: () => new JsApiError(500, 10057, "message delete not permitted"),
  purgeDenied: () => new JsApiError(500, 10056, "stream purge not permitted"),
  sequenceNotFound: (seq: number) => new JsApiError(400, 10057, `sequence [${seq}] not found`),
  notSupported: (what: string) => new JsApiError(501, 10003, `${what} is not supported by the embedded server`),
};
