import { TemplateError } from "../notify/errors.js";
import type { EmailMessage, Purpose, SlackMessage, TemplateContext } from "../notify/model.js";
import { toGsm7 } from "../notify/sms-text.js";
import type { TemplateSet } from "../notify/templates.js";

/**
 * Templates with a safety net: a template that fails at send time (a field some alert lacks) must not stop a page.
 * The failure is reported (logged, audited by the caller) and a plain message with the title goes out instead.
 */
export class SafeRenderer {
  constructor(
    private readonly templates: TemplateSet,
    private readonly onError: (error: TemplateError) => void,
  ) {}

  slack(purpose: Purpose, context: TemplateContext): SlackMessage {
    return this.guard(() => this.templates.slack(purpose, context), () => ({ text: plain(purpose, context), blocks: [], thread: plain(purpose, context) }));
  }

  email(purpose: Purpose, context: TemplateContext): EmailMessage {
    return this.guard(
      () => this.templates.email(purpose, context),
      () => ({ subject: `[Klaxon] ${context.title}`, text: plain(purpose, context), html: `<p>${escapeHtml(plain(purpose, context))}</p>` }),
    );
  }

  sms(purpose: Purpose, context: TemplateContext): string {
    return this.guard(() => this.templates.sms(purpose, context), () => toGsm7(plain(purpose, context)).slice(0, 160));
  }

  private guard<T>(render: () => T, fallback: () => T): T {
    try {
      return render();
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      this.onError(error);
      return fallback();
    }
  }
}

function plain(purpose: Purpose, context: TemplateContext): string {
  const code = context.replyCode ? ` (reply ACK ${context.replyCode})` : "";
  return `${purpose.toUpperCase()} [${context.severity}] ${context.title}${purpose === "firing" || purpose === "escalated" ? code : ""}`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
