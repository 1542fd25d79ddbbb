export { compileConditions, ConditionCompileError } from "./compile.js";
export type { Facts, Predicate } from "./compile.js";
export { conditionsSchema, factRefSchema, isFactRef, isJsonValue, parseFactPath } from "./conditions.schema.js";
export type {
  AllCondition,
  AnyCondition,
  Condition,
  Conditions,
  FactRef,
  JsonValue,
  LeafCondition,
  NotCondition,
  TopLevelCondition,
} from "./conditions.schema.js";
export { requiredValues } from "./indexable.js";
export {
  BUILTIN_OPERATORS,
  KLAXON_OPERATORS,
  OPERATOR_NAMES,
  OPERATORS,
  compileRegex,
  isNumberLike,
  registerKlaxonOperators,
} from "./operators.js";
export type { OperatorFn, OperatorName } from "./operators.js";
export { factsUsed } from "./facts-used.js";
