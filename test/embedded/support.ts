// A fresh embedded server and a real v3 client connection to it, per test. With
// EMBEDDED_TESTS_AGAINST=nats-server the same tests run against a real nats-server instead: that is how these tests
// were checked to describe nats-server's behaviour, not just the embedded server's.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { EmbeddedNatsServer } from "../../src/store/embedded/index.js";
import { NatsServerProcess } from "../support/nats-server.js";

export interface TestServer {
  url: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedClient {
  server: TestServer;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export const againstRealServer = process.env["EMBEDDED_TESTS_AGAINST"] === "nats-server";

export async function withEmbedded<T>(fn: (client: EmbeddedClient) => Promise<T>): Promise<T> {
  const server: TestServer = againstRealServer ? await NatsServerProcess.start() : await EmbeddedNatsServer.start();
  const nc = await connect({ servers: server.url, name: "embedded-test" });
  try {
    return await fn({ server, nc, js: jetstream(nc), jsm: await jetstreamManager(nc) });
  } finally {
    await nc.close().catch(() => undefined);
    await server.stop();
  }
}

export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
