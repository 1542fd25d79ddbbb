#!/usr/bin/env node
import { Command } from "commander";
import { AppError, ValidationError, formatIssue } from "../core/errors.js";
import { checkCommand } from "./commands/check.js";
import { emitCommand } from "./commands/emit.js";
import { runCommand } from "./commands/run.js";
import { testRulesCommand } from "./commands/test-rules.js";
import { routesTestCommand } from "./commands/routes-test.js";
import { ackCommand, incidentsCommand, resolveCommand } from "./commands/incidents.js";
import { oncallCommand } from "./commands/oncall.js";
import { clusterMappingCommand, clusterStatusCommand } from "./commands/cluster.js";
import { drillCommand, type DrillOptions } from "./commands/drill.js";
import { silenceAddCommand, silenceExpireCommand, silenceListCommand } from "./commands/silence.js";
import { auditListCommand, auditVerifyCommand, type AuditListOptions } from "./commands/audit.js";
import { timelineCommand } from "./commands/timeline.js";
import { reportCommand } from "./commands/report.js";
import { driftCommand, type DriftOptions } from "./commands/drift.js";
import { reportStateCommand, type ReportStateOptions } from "./commands/report-state.js";
import { provisionCommand, type ProvisionOptions } from "./commands/provision.js";
import { consoleOutput } from "./output.js";

const program = new Command()
  .name("klaxon")
  .description("Alerting and escalation rules engine on NATS JetStream")
  .showHelpAfterError();

async function exitWith(code: Promise<number>): Promise<void> {
  process.exitCode = await code;
}

program
  .command("run")
  .description("run the engine: consume events, evaluate rules, publish alerts")
  .option("-c, --config <file>", "JSON config file (or KLAXON_CONFIG)")
  .option("-r, --rules <dir>", "rules directory (or KLAXON_RULES_DIR)")
  .option("--nats <urls>", "NATS servers, comma-separated (or KLAXON_NATS_URL)")
  .option("--instance <id>", "this replica's id, unique and stable across restarts (or KLAXON_INSTANCE; default: host name)")
  .option("--partitions <n>", "evaluation partitions shared by the replicas (or KLAXON_PARTITIONS; default 1)")
  .action((options: { config?: string; rules?: string; nats?: string; instance?: string; partitions?: string }) => exitWith(runCommand(options)));

program
  .command("check")
  .description("validate the rules directory: rules, routing, users, schedules, policies and rule test files")
  .argument("[dir]", "rules directory", "rules")
  .option("--templates <dir>", "notification templates to render against a sample alert", "templates")
  .option("--partitions <n>", "check as replicas with this many evaluation partitions would load the rules (or KLAXON_PARTITIONS)", process.env.KLAXON_PARTITIONS ?? "1")
  .action((dir: string, options: { templates: string; partitions: string }) => {
    const partitions = Number(options.partitions);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 256) {
      consoleOutput.err(`error: --partitions: expected a whole number from 1 to 256, got "${options.partitions}"`);
      process.exitCode = 2;
      return;
    }
    return exitWith(checkCommand(dir, consoleOutput, options.templates, partitions));
  });

program
  .command("test")
  .description("run rule unit tests (series of events in, alerts expected at given times)")
  .argument("<files...>", "rule test files")
  .action((files: string[]) => exitWith(testRulesCommand(files, consoleOutput)));

program
  .command("emit")
  .description("publish one event, e.g. klaxon emit '{\"type\":\"metric\",\"source\":\"web-1\",\"name\":\"cpu\",\"value\":97}'")
  .argument("<json>", "the event; time defaults to now")
  .option("--nats <urls>", "NATS servers, comma-separated (or KLAXON_NATS_URL)")
  .action((json: string, options: { nats?: string }) => exitWith(emitCommand(json, options, consoleOutput)));

const silence = program.command("silence").description("mute alerts matching label matchers for a while (tracked, not notified)");
silence
  .command("add")
  .description('e.g. klaxon silence add \'alertname="disk-almost-full"\' source=web-1 --duration 2h --comment "resizing /var"')
  .argument("<matchers...>", 'label matchers: name=value, name!=value, name=~regex, name!~regex')
  .requiredOption("--comment <text>", "why (required)")
  .option("--duration <d>", "how long, e.g. 2h (default 1h)")
  .option("--start <iso>", "start later than now")
  .option("--end <iso>", "end at this instant instead of --duration")
  .option("--author <name>", "who (default user@host)")
  .option("--nats <urls>", "NATS servers (or KLAXON_NATS_URL)")
  .action((matchers: string[], options: { comment: string; duration?: string; start?: string; end?: string; author?: string; nats?: string }) => exitWith(silenceAddCommand(matchers, options, consoleOutput)));
silence
  .command("list")
  .description("list active and pending silences")
  .option("--all", "include expired ones")
  .option("--nats <urls>", "NATS servers (or KLAXON_NATS_URL)")
  .action((options: { all?: boolean; nats?: string }) => exitWith(silenceListCommand(options, consoleOutput)));
silence
  .command("expire")
  .description("end a silence now")
  .argument("<id>", "silence id")
  .option("--author <name>", "who (default user@host)")
  .option("--nats <urls>", "NATS servers (or KLAXON_NATS_URL)")
  .action((id: string, options: { author?: string; nats?: string }) => exitWith(silenceExpireCommand(id, options, consoleOutput)));

const incidentOptions = (command: Command): Command =>
  command.option("--author <name>", "who (default user@host)").option("--nats <urls>", "NATS servers (or KLAXON_NATS_URL)").option("-r, --rules <dir>", "rules directory (or KLAXON_RULES_DIR)");
incidentOptions(program.command("ack").description("acknowledge an incident: paging stops").argument("<id>", "incident id (klaxon incidents)")).action(
  (id: string, options: { author?: string; nats?: string; rules?: string }) => exitWith(ackCommand(id, options, consoleOutput)),
);
incidentOptions(program.command("resolve").description("resolve an incident: it is closed, nothing more is paged").argument("<id>", "incident id")).action(
  (id: string, options: { author?: string; nats?: string; rules?: string }) => exitWith(resolveCommand(id, options, consoleOutput)),
);
incidentOptions(program.command("incidents").description("list open incidents").option("--all", "include resolved ones")).action(
  (options: { all?: boolean; nats?: string; rules?: string }) => exitWith(incidentsCommand(options, consoleOutput)),
);

program
  .command("drill")
  .description("send a synthetic alert through the running pipeline, report when each channel delivered it, then resolve it")
  .option("--route <id|receiver>", "the route to exercise (klaxon routes test shows route ids)")
  .option("--label <name=value...>", "labels to add to the drill alert")
  .option("--timeout <duration>", "how long to wait for every page", "3m")
  .option("--author <name>", "who runs the drill (default user@host)")
  .option("--nats <urls>", "NATS servers (or KLAXON_NATS_URL)")
  .option("-r, --rules <dir>", "rules directory (or KLAXON_RULES_DIR)")
  .action((options: DrillOptions) => exitWith(drillCommand(options, consoleOutput)));

const cluster = program.command("cluster").description("replicas sharing the work: who is alive and who holds which role");
cluster
  .command("status")
  .description("members with their last heartbeat, and the holder of every role")
  .option("--nats <urls>", "NATS servers (or KLAXON_NATS_URL)")
  .option("-c, --config <file>", "JSON config file (or KLAXON_CONFIG)")
  .action((options: { nats?: string; config?: string }) => exitWith(clusterStatusCommand(options, consoleOutput)));
cluster
  .command("mapping")
  .description("print the nats-server subject mapping that spreads events over the evaluation partitions")
  .requiredOption("--partitions <n>", "number of partitions (the engines' cluster.partitions)")
  .option("--subject <prefix>", "events subject prefix", "events")
  .action((options: { partitions: string; subject: string }) => exitWith(clusterMappingCommand(options, consoleOutput)));

program
  .command("oncall")
  .description("who is on call in a schedule at an instant (default now), or the shifts in a range")
  .argument("<schedule>", "schedule id (rules/schedules/<id>.json)")
  .option("-r, --rules <dir>", "rules directory", "rules")
  .option("--at <iso>", "instant; without an offset it is read in --zone or the schedule's zone")
  .option("--from <iso>", "list the shifts from this instant (with --to)")
  .option("--to <iso>", "list the shifts until this instant (at most 366 days after --from)")
  .option("--zone <iana>", "time zone for local times (default: the schedule's)")
  .action((id: string, options: { rules: string; at?: string; from?: string; to?: string; zone?: string }) => exitWith(oncallCommand(id, options, consoleOutput)));

program
  .command("routes")
  .description("routing tree tools")
  .command("test")
  .description("print the route(s) an alert with these labels would take")
  .argument("<labels...>", "label=value pairs")
  .option("-r, --rules <dir>", "rules directory", "rules")
  .action((labels: string[], options: { rules: string }) => exitWith(routesTestCommand(labels, options, consoleOutput)));

const auditConnection = (command: Command): Command =>
  command.option("--nats <urls>", "NATS servers (or KLAXON_NATS_URL)").option("-c, --config <file>", "JSON config file (or KLAXON_CONFIG)");
const audit = program.command("audit").description("the tamper-evident audit trail: query it (default) or verify its hash chains");
auditConnection(
  audit
    .command("list", { isDefault: true })
    .description("records, newest last: klaxon audit --since 1h --action incident")
    .option("--since <when>", "an instant (2026-11-25T10:00:00Z) or a duration back from now (1h, 7d)")
    .option("--until <when>", "same forms as --since")
    .option("--alert <fingerprint>", "records about this alert (and notifications carrying it)")
    .option("--actor <name>", "records by this actor")
    .option("--action <prefix>", "actions starting with this, e.g. incident or page.sent")
    .option("--limit <n>", "at most the newest n records (default 100)")
    .option("--json", "one JSON object per line"),
).action((options: AuditListOptions) => exitWith(auditListCommand(options, consoleOutput)));
auditConnection(audit.command("verify").description("check every hash chain; exit 1 and name the first bad record if one was edited or removed").option("--json", "the full result as JSON")).action(
  (options: { nats?: string; config?: string; json?: boolean }) => exitWith(auditVerifyCommand(options, consoleOutput)),
);
auditConnection(
  program
    .command("timeline")
    .description("one alert's (fingerprint) or incident's life: fired, notified, pages, acks, escalations, resolve")
    .argument("<id>", "alert fingerprint or incident id")
    .option("--since <when>", "only records after this (default: the whole trail)")
    .option("--json", "as JSON"),
).action((id: string, options: { nats?: string; config?: string; since?: string; json?: boolean }) => exitWith(timelineCommand(id, options, consoleOutput)));
auditConnection(
  program
    .command("report")
    .description("MTTA and MTTR per receiver/route, and the noisiest rules")
    .option("--since <when>", "start of the window (default 7d)")
    .option("--until <when>", "end of the window (default now)")
    .option("--json", "as JSON"),
).action((options: { nats?: string; config?: string; since?: string; until?: string; json?: boolean }) => exitWith(reportCommand(options, consoleOutput)));

const natsOptions = (command: Command): Command => command.option("--nats <urls>", "NATS servers (or KLAXON_NATS_URL)").option("-c, --config <file>", "JSON config file (or KLAXON_CONFIG)");
natsOptions(
  program
    .command("drift")
    .description("the fleet against its inventory: host, expected, actual, last report, status")
    .option("--service <name>", "only this service's hosts")
    .option("--json", "as JSON"),
).action((options: DriftOptions) => exitWith(driftCommand(options, consoleOutput)));
natsOptions(
  program
    .command("report-state")
    .description("publish this host's state (run it from cron or a deploy hook): klaxon report-state --source web-1 --fact version=2.4.1")
    .requiredOption("--source <host>", "the reporting host, as listed in the inventory")
    .option("--service <name>", "the service the facts are about (leave out for the host itself)")
    .option("--fact <name=value>", "one fact; repeat it for more", (pair: string, all: string[] = []) => [...all, pair])
    .option("--facts-file <file>", "a JSON object of facts; --fact wins over the same name"),
).action((options: ReportStateOptions) => exitWith(reportStateCommand(options, consoleOutput)));
natsOptions(
  program
    .command("provision")
    .description("create the streams, consumers and buckets Klaxon needs and reconcile changed settings (the engine does this at start-up)")
    .option("--dry-run", "only show what would change")
    .option("--author <name>", "who the audit trail names (default user@host)"),
).action((options: ProvisionOptions) => exitWith(provisionCommand(options, consoleOutput)));

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ValidationError) for (const issue of error.issues) consoleOutput.err(`error: ${formatIssue(issue)}`);
  else if (error instanceof AppError) consoleOutput.err(`error: ${error.message}`);
  else consoleOutput.err(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
