#!/usr/bin/env node
import { Command } from "commander";
import { AppError, ValidationError, formatIssue } from "../core/errors.js";
import { checkCommand } from "./commands/check.js";
import { emitCommand } from "./commands/emit.js";
import { runCommand } from "./commands/run.js";
import { testRulesCommand } from "./commands/test-rules.js";
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
  .action((options: { config?: string; rules?: string; nats?: string }) => exitWith(runCommand(options)));

program
  .command("check")
  .description("validate the rules directory: rules, annotations and rule test files")
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

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ValidationError) for (const issue of error.issues) consoleOutput.err(`error: ${formatIssue(issue)}`);
  else if (error instanceof AppError) consoleOutput.err(`error: ${error.message}`);
  else consoleOutput.err(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
