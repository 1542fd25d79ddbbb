import type { ValidationIssue } from "../core/errors.js";
import { TemplateError } from "./errors.js";
import { PURPOSES } from "./model.js";
import { sampleContexts } from "./sample.js";
import { fitsOneSegment } from "./sms-text.js";
import { TemplateSet, templateFiles } from "./templates.js";

export interface TemplateCheck {
  issues: ValidationIssue[];
  warnings: ValidationIssue[];
  templates: number;
}

/** `klaxon check` for templates: each one must load, and render against the sample alerts for every purpose. */
export async function checkTemplates(dir: string): Promise<TemplateCheck> {
  const { templates, issues } = await TemplateSet.load(dir);
  const warnings: ValidationIssue[] = [];
  if (!templates) return { issues, warnings, templates: 0 };
  const attempt = (render: () => unknown, sample: string): void => {
    try {
      render();
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      issues.push({ file: error.file, path: "", message: `rendering ${sample}: ${error.detail}` });
    }
  };
  for (const purpose of PURPOSES) {
    for (const { name, context } of sampleContexts(purpose)) {
      attempt(() => templates.slack(purpose, context), name);
      attempt(() => templates.email(purpose, context), name);
      attempt(() => {
        const text = templates.sms(purpose, context);
        if (!fitsOneSegment(text)) warnings.push({ file: `${dir}/sms/${purpose}.txt.hbs`, path: "", message: `rendering ${name} needs more than one SMS segment even with the title shortened` });
      }, name);
    }
  }
  // A template that fails for both samples is reported once per sample: keep the first of identical reports.
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const key = `${i.file}\u0000${i.message.replace(/^rendering [^:]+: /, "")}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return { issues: unique, warnings, templates: templateFiles().length };
}
