export * from "./block.js";
export * from "./record.js";
export * from "./verify.js";
export * from "./filter.js";
export * from "./timeline.js";
export * from "./report.js";
export * from "./format.js";
