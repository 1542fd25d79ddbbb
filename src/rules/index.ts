export * from "./rule.schema.js";
export * from "./loader.js";
export * from "./compiled-rule.js";
export * from "./rule-index.js";
export * from "./rule-changes.js";
