import { connect } from "@nats-io/transport-node";
import { evaluationPartitions, partitionMapping } from "../../cluster/partition.js";
import { loadConfig } from "../../config/load.js";
import { KvClusterStore } from "../../store/jetstream/cluster-store.js";
import type { Output } from "../output.js";

/** `klaxon cluster mapping`: the server configuration an operator adds before running with several partitions. */
export async function clusterMappingCommand(options: { partitions: string; subject: string }, out: Output): Promise<number> {
  const partitions = Number(options.partitions);
  if (!Number.isInteger(partitions) || partitions < 2 || partitions > 256) {
    out.err(`error: --partitions: expected a whole number from 2 to 256, got "${options.partitions}"`);
    return 2;
  }
  out.log(`# nats-server.conf: spread ${options.subject}.<type>.<source> over ${partitions} partitions by source`);
  out.log(partitionMapping(options.subject, partitions));
  return 0;
}

/** `klaxon cluster status`: the replicas as their heartbeats show them, and who holds each role. */
export async function clusterStatusCommand(options: { nats?: string; config?: string }, out: Output): Promise<number> {
  const config = await loadConfig({ ...(options.config ? { file: options.config } : {}), env: process.env, overrides: options.nats ? { nats: { servers: options.nats.split(",") } } : {} });
  const nc = await connect({ servers: config.nats.servers });
  try {
    const store = await KvClusterStore.open(nc, config.cluster.bucket);
    const members = await store.members();
    const leases = await store.leases();
    const now = Date.now();
    out.log(`members (a heartbeat older than ${config.cluster.leaseMs} ms means the replica is presumed dead):`);
    if (members.size === 0) out.log("  none");
    for (const [id, member] of [...members].sort(([a], [b]) => a.localeCompare(b))) {
      const age = now - member.writtenAtMs;
      out.log(`  ${id}  last heartbeat ${age} ms ago${age > config.cluster.leaseMs ? " (presumed dead)" : ""}  roles: ${member.value.roles.join(", ") || "none"}`);
    }
    out.log("roles:");
    // The leases present tell the partition count the replicas run with; the config adds roles nobody holds yet.
    const held = [...leases.keys()];
    const configured = held.some((role) => role.startsWith("evaluate")) ? [] : evaluationPartitions(config).map((p) => p.role);
    const roles = new Set(["coordinator", ...configured, ...held]);
    for (const role of [...roles].sort((a, b) => a.localeCompare(b, "en", { numeric: true }))) {
      out.log(`  ${role}  ${leases.get(role)?.value.owner ?? "(nobody)"}`);
    }
    return 0;
  } finally {
    await nc.close();
  }
}
