import { z } from "zod";
import { durationSchema, positiveDurationSchema } from "../core/duration.js";
import { matcherSchema } from "./matchers.js";

/** Alertmanager's special `groupBy` value: group by every label, i.e. one group per distinct label set. */
export const GROUP_BY_ALL = "...";

const labelNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'label names are letters, digits and _, not starting with a digit (e.g. "service")');

export const groupBySchema = z
  .array(z.union([z.literal(GROUP_BY_ALL), labelNameSchema], { error: `groupBy entries are label names or "${GROUP_BY_ALL}"` }))
  .superRefine((names, ctx) => {
    if (names.includes(GROUP_BY_ALL) && names.length > 1) {
      ctx.addIssue({ code: "custom", message: `"${GROUP_BY_ALL}" groups by every label already: it must be the only entry` });
    }
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) ctx.addIssue({ code: "custom", path: [i], message: `duplicate label "${name}" in groupBy` });
    });
  });

const receiverNameSchema = z.string().min(1, "receiver names must not be empty").max(128);
const intervalNamesSchema = z.array(z.string().min(1, "time interval names must not be empty"));

/** A route below the root. Time intervals are per route and never inherited, as in Alertmanager. */
export const childRouteSchema = z.strictObject({
  matchers: z.array(matcherSchema).optional(),
  /** Keep trying later siblings after this route matches. */
  continue: z.boolean().optional(),
  // Settings a child leaves out are inherited from its parent. (Spelled out, not spread from a shared object:
  // a spread stops TypeScript inferring the recursive type.)
  receiver: receiverNameSchema.optional(),
  groupBy: groupBySchema.optional(),
  /** How long a new group waits for more alerts before its first notification. */
  groupWait: durationSchema.optional(),
  /** How long a group waits before notifying about alerts added to it since the last notification. */
  groupInterval: positiveDurationSchema.optional(),
  /** How long before re-sending a notification whose alerts have not changed. */
  repeatInterval: positiveDurationSchema.optional(),
  sendResolved: z.boolean().optional(),
  muteTimeIntervals: intervalNamesSchema.optional(),
  activeTimeIntervals: intervalNamesSchema.optional(),
  get routes() {
    return z.array(childRouteSchema).optional();
  },
});
export type ChildRouteConfig = z.output<typeof childRouteSchema>;

const notAtRoot = (why: string) => z.never({ error: why }).optional();

/** The root route matches every alert, so it takes no matchers, and it names the fallback receiver. */
export const rootRouteSchema = z.strictObject({
  receiver: receiverNameSchema,
  groupBy: childRouteSchema.shape.groupBy,
  groupWait: childRouteSchema.shape.groupWait,
  groupInterval: childRouteSchema.shape.groupInterval,
  repeatInterval: childRouteSchema.shape.repeatInterval,
  sendResolved: childRouteSchema.shape.sendResolved,
  matchers: notAtRoot("the root route matches every alert: put matchers on its child routes"),
  continue: notAtRoot('the root route has no siblings: "continue" belongs on child routes'),
  muteTimeIntervals: notAtRoot("the root route cannot be muted by time: set muteTimeIntervals on child routes"),
  activeTimeIntervals: notAtRoot("the root route is always active: set activeTimeIntervals on child routes"),
  routes: z.array(childRouteSchema).optional(),
});
export type RootRouteConfig = z.output<typeof rootRouteSchema>;

export const receiverSchema = z.strictObject({
  name: receiverNameSchema,
  description: z.string().max(2_000).optional(),
  /** The escalation policy (rules/policies/<id>.json) that pages people for this receiver's groups. */
  policy: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,127}$/, "a policy id is a lowercase slug").optional(),
  /** Receiver-level channels: every group notification of this receiver also goes here (see docs/notifications.md). */
  slack: z.strictObject({ channel: z.string().regex(/^#?[A-Za-z0-9._-]{1,80}$/, 'slack.channel is a channel id such as "C0123ABCD" or a name such as "#ops"') }).optional(),
  webhook: z.strictObject({ url: z.url({ protocol: /^https?$/, error: "webhook.url must be an http(s) URL" }) }).optional(),
  email: z.strictObject({ to: z.array(z.email({ error: (issue) => `${JSON.stringify(issue.input)} is not a valid e-mail address` })).min(1, "email.to needs at least one address") }).optional(),
});
export type ReceiverConfig = z.output<typeof receiverSchema>;

/** While an alert matching `sourceMatchers` fires, alerts matching `targetMatchers` with the same `equal` labels are muted. */
export const inhibitRuleSchema = z.strictObject({
  // An empty list would match every alert: one firing alert would mute all the others.
  sourceMatchers: z.array(matcherSchema).min(1, "sourceMatchers must name at least one matcher"),
  targetMatchers: z.array(matcherSchema).min(1, "targetMatchers must name at least one matcher"),
  equal: z.array(labelNameSchema).default([]),
});
export type InhibitRuleConfig = z.output<typeof inhibitRuleSchema>;

/** `rules/routes/routes.json`. `version` is the revision of the routing, bumped on every change. */
export const routingFileSchema = z.strictObject({
  version: z.number().int().positive(),
  route: rootRouteSchema,
  receivers: z.array(receiverSchema),
  /** Validated by the time-interval schema; here only each entry's `name` is read, for cross-references. */
  timeIntervals: z.array(z.unknown()).default([]),
  inhibitRules: z.array(inhibitRuleSchema).default([]),
});
export type RoutingFile = z.output<typeof routingFileSchema>;
