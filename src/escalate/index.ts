export * from "./policy.schema.js";
export * from "./incident.js";
export * from "./pages.js";
export * from "./directory.js";
