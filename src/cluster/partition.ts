import type { Config } from "../config/config.schema.js";
import type { ValidationIssue } from "../core/errors.js";
import { defaultKeyBy } from "../rules/compiled-rule.js";
import type { LoadedRule } from "../rules/loader.js";

/**
 * Which evaluation partition an event's source belongs to. It must agree with nats-server's subject mapping
 * `{{partition(N,2)}}` (FNV-1a, 32 bit, of the source token, modulo N): the server routes live events, and this
 * function places series that have not sent anything yet (an absence rule's `expect`). A test checks the two agree.
 */
export function partitionOf(source: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(source)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/**
 * The subject prefix an evaluation partition reads: `events.part.3` when the server maps `events.*.*` onto
 * partitions. The partition number is a token of its own: nats-server 2.9 does not expand `{{partition}}` inside a
 * token. "part" is no event type, so a mapped subject never collides with an unmapped one.
 */
export function partitionSubjectPrefix(eventsPrefix: string, partition: number, partitions: number): string {
  return partitions === 1 ? eventsPrefix : `${eventsPrefix}.part.${partition}`;
}

/** The nats-server configuration that partitions events; `klaxon cluster mapping` prints it for the operator. */
export function partitionMapping(eventsPrefix: string, partitions: number): string {
  return `mappings = {\n  "${eventsPrefix}.*.*": "${eventsPrefix}.part.{{partition(${partitions},2)}}.{{wildcard(1)}}.{{wildcard(2)}}"\n}`;
}

export interface EvaluationPartition {
  index: number;
  /** The lease role that owns it. */
  role: string;
  durable: string;
  subjectPrefix: string;
}

/** The evaluation partitions of a configuration: one durable consumer each, filtered on its subjects. */
export function evaluationPartitions(config: Config): EvaluationPartition[] {
  const count = config.cluster.partitions;
  return Array.from({ length: count }, (_, index) => ({
    index,
    role: count === 1 ? "evaluate" : `evaluate-p${index}`,
    durable: count === 1 ? config.consumer.durable : `${config.consumer.durable}-p${index}`,
    subjectPrefix: partitionSubjectPrefix(config.subjects.events, index, count),
  }));
}

/**
 * With several partitions, the server spreads events by source: a rule whose series mix sources (keyed by service
 * alone, say) would see each source's events on a different replica and decide on a fraction of them. Such rules
 * are refused, naming the file, rather than evaluated wrongly.
 */
export function partitioningIssues(rules: readonly LoadedRule[], partitions: number): ValidationIssue[] {
  if (partitions === 1) return [];
  return rules
    .filter(({ rule }) => !defaultKeyBy(rule).includes("source"))
    .map(({ rule, file }) => ({
      file,
      path: "keyBy",
      message: `rule "${rule.id}": with cluster.partitions = ${partitions}, keyBy must include "source" (events are partitioned by source, so a series spanning sources would be split across replicas)`,
    }));
}
