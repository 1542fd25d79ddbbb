import { z } from "zod";
import { durationSchema } from "../core/duration.js";
import { timeZoneSchema } from "../alerts/time-intervals.schema.js";
import { slugSchema } from "./fields.js";

/** The channels a user can be paged on, and the contact each one needs. */
export const CHANNEL_CONTACT = { slack: "slack", email: "email", sms: "phone" } as const;
export type Channel = keyof typeof CHANNEL_CONTACT;
export const CHANNELS = Object.keys(CHANNEL_CONTACT) as Channel[];

export interface Contacts {
  /** Slack member id, e.g. "U012ABCDEF". */
  readonly slack?: string;
  readonly email?: string;
  /** E.164, e.g. "+4915112345678". */
  readonly phone?: string;
}

/** Once paged and not yet acknowledged, the user is also notified on `channel` after `afterMs`. */
export interface NotificationRule {
  readonly channel: Channel;
  readonly afterMs: number;
}

export interface User {
  readonly id: string;
  readonly name: string;
  /** Where the user lives: for showing them times in their own zone. */
  readonly timeZone: string;
  readonly contacts: Contacts;
  /** Sorted by `afterMs`, in file order for equal delays. */
  readonly notificationRules: readonly NotificationRule[];
}

export interface UsersFile {
  readonly version: number;
  readonly users: readonly User[];
}

const contactsSchema = z.strictObject({
  slack: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'slack must be a Slack member id such as "U012ABCDEF" (not a display name)').optional(),
  email: z.email({ error: (issue) => `email ${JSON.stringify(issue.input)} is not a valid e-mail address` }).optional(),
  phone: z.string().regex(/^\+[1-9]\d{1,14}$/, 'phone must be in E.164 form: "+", country code and number, no spaces (e.g. "+4915112345678")').optional(),
});

const notificationRuleSchema = z.strictObject({
  channel: z.enum(CHANNELS, { error: `channel must be one of ${CHANNELS.join(", ")}` }),
  after: durationSchema,
});

const userSchema = z
  .strictObject({
    id: slugSchema,
    name: z.string().trim().min(1, "name must not be empty").max(200),
    timeZone: timeZoneSchema,
    contacts: contactsSchema,
    notificationRules: z.array(notificationRuleSchema).min(1, "a user needs at least one notification rule, or they can never be paged"),
  })
  .superRefine((user, ctx) => {
    user.notificationRules.forEach((rule, i) => {
      const contact = CHANNEL_CONTACT[rule.channel];
      if (user.contacts[contact] === undefined) {
        ctx.addIssue({ code: "custom", path: ["notificationRules", i, "channel"], message: `channel "${rule.channel}" needs contacts.${contact}, which this user does not have` });
      }
    });
  })
  .transform(
    (user): User => ({
      id: user.id,
      name: user.name,
      timeZone: user.timeZone,
      contacts: {
        ...(user.contacts.slack !== undefined && { slack: user.contacts.slack }),
        ...(user.contacts.email !== undefined && { email: user.contacts.email }),
        ...(user.contacts.phone !== undefined && { phone: user.contacts.phone }),
      },
      notificationRules: user.notificationRules
        .map((rule) => ({ channel: rule.channel, afterMs: rule.after }))
        .sort((a, b) => a.afterMs - b.afterMs),
    }),
  );

/** `rules/users/users.json`. `version` is the revision of the file, bumped on every change. */
export const usersFileSchema = z.strictObject({
  version: z.number().int().positive(),
  users: z.array(userSchema),
});

/** The users file as written in JSON. */
export type UsersFileConfig = z.input<typeof usersFileSchema>;
