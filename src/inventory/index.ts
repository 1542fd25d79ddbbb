export * from "./inventory.schema.js";
export * from "./inventory.js";
export * from "./state.schema.js";
export * from "./alerts.js";
export * from "./monitor.js";
export * from "./fleet.js";
export * from "./subjects.js";
export * from "./change-log.js";
