// Plumbing shared by the local HTTP servers that stand in for third-party APIs (Slack, Twilio): listen on a free
// loopback port, read a request body, and shut down without waiting for kept-alive client connections.
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Listen on a free port of 127.0.0.1; resolves to that port. */
export async function listenLocally(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** Close the server, dropping open connections (SDK clients keep them alive, which would hold `close` up). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
