import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import Handlebars from "handlebars";
import { z } from "zod";
import type { ValidationIssue } from "../core/errors.js";
import { TemplateError } from "./errors.js";
import { PURPOSES, type EmailMessage, type Purpose, type SlackMessage, type TemplateContext } from "./model.js";
import { TEMPLATE_HELPERS } from "./template-helpers.js";
import { fitSms } from "./sms-text.js";
import { fitSlackLimits } from "./slack-limits.js";

/** The files a templates directory must hold: one per channel and purpose, plus the e-mail subject. */
export function templateFiles(): string[] {
  return [
    ...PURPOSES.map((p) => `slack/${p}.json.hbs`),
    "email/subject.txt.hbs",
    ...PURPOSES.flatMap((p) => [`email/${p}.html.hbs`, `email/${p}.txt.hbs`]),
    ...PURPOSES.map((p) => `sms/${p}.txt.hbs`),
  ];
}

type Compiled = (context: TemplateContext) => string;

const slackMessageSchema = z.strictObject({
  text: z.string().min(1, "text (the notification fallback) must not be empty").max(40_000),
  blocks: z.array(z.record(z.string(), z.unknown())).max(50, "Slack allows at most 50 blocks"),
  thread: z.string().min(1).nullable().default(null),
});

/**
 * The templates of `templates/`, compiled once. Handlebars in strict mode: a misspelt field is an error that names
 * the file, line and field (and `klaxon check` finds it before a page needs it). HTML templates escape values; JSON,
 * text and SMS templates do not (JSON templates write values with the `json` helper).
 */
export class TemplateSet {
  private constructor(
    readonly dir: string,
    private readonly compiled: ReadonlyMap<string, Compiled>,
  ) {}

  /** Load and compile every template; issues name the file and what is wrong (missing, unknown, syntax). */
  static async load(dir: string): Promise<{ templates?: TemplateSet; issues: ValidationIssue[] }> {
    const issues: ValidationIssue[] = [];
    const expected = templateFiles();
    let present: string[];
    try {
      present = await listFiles(dir);
    } catch {
      return { issues: [{ file: dir, path: "", message: "templates directory not found (set notify.templatesDir, or klaxon check --templates <dir>)" }] };
    }
    for (const file of present) {
      // Dotfiles (.gitkeep) and notes (README.md) may sit beside the templates.
      if (file.split("/").some((part) => part.startsWith(".")) || file.endsWith(".md")) continue;
      if (!expected.includes(file)) issues.push({ file: join(dir, file), path: "", message: `unknown template file; expected one of ${expected.join(", ")}` });
    }
    const compiled = new Map<string, Compiled>();
    const hb = Handlebars.create();
    for (const [name, helper] of Object.entries(TEMPLATE_HELPERS)) hb.registerHelper(name, helper);
    for (const file of expected) {
      const path = join(dir, file);
      if (!present.includes(file)) {
        issues.push({ file: path, path: "", message: "missing template" });
        continue;
      }
      const text = await readFile(path, "utf8");
      try {
        hb.parse(text);
      } catch (error) {
        issues.push({ file: path, path: "", message: oneLine((error as Error).message) });
        continue;
      }
      const render = hb.compile<TemplateContext>(text, { strict: true, noEscape: !file.endsWith(".html.hbs") });
      compiled.set(file, (context) => {
        try {
          return render(context);
        } catch (error) {
          throw new TemplateError(path, describeRenderError((error as Error).message));
        }
      });
    }
    return issues.length > 0 ? { issues } : { templates: new TemplateSet(dir, compiled), issues };
  }

  slack(purpose: Purpose, context: TemplateContext): SlackMessage {
    const file = `slack/${purpose}.json.hbs`;
    const text = this.render(file, context);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new TemplateError(join(this.dir, file), `does not render to valid JSON: ${(error as Error).message}`);
    }
    const parsed = slackMessageSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TemplateError(join(this.dir, file), `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
    }
    return fitSlackLimits(parsed.data);
  }

  email(purpose: Purpose, context: TemplateContext): EmailMessage {
    return {
      subject: this.render("email/subject.txt.hbs", context).replace(/\s+/g, " ").trim(),
      html: this.render(`email/${purpose}.html.hbs`, context),
      text: this.render(`email/${purpose}.txt.hbs`, context),
    };
  }

  /** One SMS, fitted into a single GSM-7 segment where shortening the title can do it. */
  sms(purpose: Purpose, context: TemplateContext): string {
    const file = `sms/${purpose}.txt.hbs`;
    return fitSms((title) => this.render(file, { ...context, title }), context.title);
  }

  private render(file: string, context: TemplateContext): string {
    const template = this.compiled.get(file);
    if (!template) throw new TemplateError(join(this.dir, file), "missing template");
    return template(context);
  }
}

async function listFiles(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path, root)));
    else out.push(relative(root, path).split("\\").join("/"));
  }
  return out.sort();
}

/** Handlebars says `"titel" not defined in [object Object] - 1:22` (0-based column); say it for a person. */
function describeRenderError(message: string): string {
  const match = /^"(.+)" not defined in .* - (\d+):(\d+)$/s.exec(message.trim());
  return match ? `unknown field "${match[1]}" (line ${match[2]}, column ${Number(match[3]) + 1})` : oneLine(message);
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}
