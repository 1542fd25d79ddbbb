// An in-memory NATS + JetStream server for the demo and tests on machines without nats-server (see server.ts).
export { EmbeddedNatsServer, type EmbeddedNatsOptions } from "./server.js";
export { mappingsFromServerConfig } from "./mapping.js";
