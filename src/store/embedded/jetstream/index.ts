// The embedded JetStream: streams, consumers, KV and object-store data in memory, behind `$JS.API.>` (see jetstream.ts).
export { EmbeddedJetStream } from "./jetstream.js";
