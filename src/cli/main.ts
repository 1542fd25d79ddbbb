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
import { silenceAddCommand, silenceExpireCommand, silenceListCommand } from "./commands/silence.js";
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
  .action((dir: string) => exitWith(checkCommand(dir, consoleOutput)));

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

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ValidationError) for (const issue of error.issues) consoleOutput.err(`error: ${formatIssue(issue)}`);
  else if (error instanceof AppError) consoleOutput.err(`error: ${error.message}`);
  else consoleOutput.err(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
