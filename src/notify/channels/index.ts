export * from "./types.js";
export * from "./slack.js";
export * from "./email.js";
export * from "./sms.js";
export * from "./webhook.js";
