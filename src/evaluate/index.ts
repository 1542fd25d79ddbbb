export { Evaluator } from "./evaluator.js";
export { SlidingWindow } from "./sliding-window.js";

export { compileTemplate, compileAnnotations, unknownPlaceholders, ANNOTATION_ROOTS } from "./annotations.js";
export { evaluatorSnapshotSchema, type EvaluatorSnapshot } from "./snapshot.js";
