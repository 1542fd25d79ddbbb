export * from "./ruletest.schema.js";
export * from "./run-case.js";
export * from "./run-file.js";
