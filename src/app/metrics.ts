import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { DeferredCounter } from "./deferred-counter.js";
import { EvaluationMeter } from "./evaluation-meter.js";

/** Every counter the engine keeps, on its own registry so several engines can live in one test process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    eventsIn: new DeferredCounter(registry, "klaxon_events_total", "Valid events evaluated, by type", "type"),
    deadLetters: new Counter({ name: "klaxon_dead_letters_total", help: "Messages sent to dead letter, by reason", labelNames: ["reason"], registers: [registry] }),
    redeliveries: new Counter({ name: "klaxon_redeliveries_total", help: "JetStream messages delivered more than once", registers: [registry] }),
    transitions: new Counter({ name: "klaxon_alert_transitions_total", help: "Alert state changes published, by status", labelNames: ["status"], registers: [registry] }),
    publishRetries: new Counter({ name: "klaxon_publish_retries_total", help: "Retries of publishes to JetStream, by what was published", labelNames: ["what"], registers: [registry] }),
    replayedEvents: new Counter({ name: "klaxon_replayed_events_total", help: "Events replayed at start-up to rebuild evaluation state", registers: [registry] }),
    ruleReloads: new Counter({ name: "klaxon_rule_reloads_total", help: "Rule reloads, by outcome", labelNames: ["outcome"], registers: [registry] }),
    natsStatus: new Counter({ name: "klaxon_nats_status_events_total", help: "NATS connection status changes, by type", labelNames: ["type"], registers: [registry] }),
    alertsReceived: new Counter({ name: "klaxon_alerts_received_total", help: "Alert state changes taken in by the alert stage, by outcome", labelNames: ["outcome"], registers: [registry] }),
    groupNotifications: new Counter({ name: "klaxon_group_notifications_total", help: "Group notifications sent, by receiver and reason", labelNames: ["receiver", "reason"], registers: [registry] }),
    notificationsUnpublishable: new Counter({ name: "klaxon_group_notifications_unpublishable_total", help: "Group notifications no retry could publish (larger than the server takes, say): dropped and audited as group.notification_failed", registers: [registry] }),
    notificationsWithheld: new Counter({ name: "klaxon_group_notifications_withheld_total", help: "Group notifications a replica did not send because another replica had taken the coordinator role over (the new coordinator sends its own)", registers: [registry] }),
    pagesSent: new Counter({ name: "klaxon_pages_total", help: "Pages handed to a channel, by channel", labelNames: ["channel"], registers: [registry] }),
    pagesUnreachable: new Counter({ name: "klaxon_pages_unreachable_total", help: "Escalation targets that could not be paged (nobody on call, no contact)", registers: [registry] }),
    notifications: new Counter({ name: "klaxon_notifications_total", help: "Notification deliveries by channel and outcome: attempt, sent, retry, failed, fallback, skipped", labelNames: ["channel", "outcome"], registers: [registry] }),
    notificationRetries: new Counter({ name: "klaxon_notification_retries_total", help: "Notification attempts retried after a retryable failure, by channel", labelNames: ["channel"], registers: [registry] }),
    notificationReconciles: new Counter({ name: "klaxon_notification_reconcile_total", help: "Deliveries taken over from a dead replica whose provider was asked whether they went out, by channel and outcome: found (recorded as sent), not_found (sent), failed (the lookup failed; sent again)", labelNames: ["channel", "outcome"], registers: [registry] }),
    roleChanges: new Counter({ name: "klaxon_cluster_role_changes_total", help: "Roles (evaluation partitions, coordinator) acquired, taken over from a dead replica, handed over or lost; adopted: acquired while NATS did not answer, found ours later", labelNames: ["change"], registers: [registry] }),
    rulesLoaded: new Gauge({ name: "klaxon_rules_loaded", help: "Rules currently loaded", registers: [registry] }),
    activeSeries: new Gauge({ name: "klaxon_active_series", help: "Series holding evaluation state", registers: [registry] }),
    ruleEvaluations: new EvaluationMeter(registry),
    alertsByState: new Gauge({ name: "klaxon_alerts", help: "Alerts the alert stage tracks, by state: firing, suppressed (silenced, inhibited or muted), resolved; reported by the coordinator", labelNames: ["state"], registers: [registry] }),
    consumerPending: new Gauge({ name: "klaxon_consumer_pending", help: "Consumer lag: messages in the stream not yet delivered to the durable consumer (polled)", labelNames: ["stream", "consumer"], registers: [registry] }),
    consumerAckPending: new Gauge({ name: "klaxon_consumer_ack_pending", help: "Messages delivered to the durable consumer and not yet acknowledged (polled)", labelNames: ["stream", "consumer"], registers: [registry] }),
    natsConnected: new Gauge({ name: "klaxon_nats_connected", help: "1 while connected to NATS, 0 while disconnected", registers: [registry] }),
    natsReconnects: new Counter({ name: "klaxon_nats_reconnects_total", help: "Reconnections to NATS after a lost connection", registers: [registry] }),
    heartbeats: new Counter({ name: "klaxon_heartbeats_total", help: "Heartbeats this replica sent, by target (local NATS or a watcher) and outcome", labelNames: ["target", "outcome"], registers: [registry] }),
    configDrift: new Gauge({ name: "klaxon_config_drift", help: "1 while the loaded configuration differs from the rules directory (against=disk) or from other replicas (against=replicas)", labelNames: ["against"], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
