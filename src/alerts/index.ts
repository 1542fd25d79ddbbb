export * from "./alert.js";
export * from "./fingerprint.js";
