export * from "./clock.js";
export * from "./errors.js";
export * from "./duration.js";
export * from "./hash.js";
export * from "./logger.js";
export * from "./deadline-queue.js";
export * from "./records.js";
export * from "./intern-pool.js";
