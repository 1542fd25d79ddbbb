import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ["**/*.mjs", "**/*.js"], languageOptions: { globals: globals.node } },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    // The pure core must not read the wall clock or do I/O: time is a parameter.
    files: ["src/core/**/*.ts", "src/rules/**/*.ts", "src/evaluate/**/*.ts", "src/alerts/**/*.ts", "src/schedules/**/*.ts", "src/escalate/**/*.ts", "src/cluster/**/*.ts", "src/audit/**/*.ts", "src/inventory/**/*.ts"],
    ignores: ["src/rules/*loader.ts", "src/schedules/loader.ts", "src/inventory/loader.ts", "src/core/clock.ts", "src/core/logger.ts"],
    rules: {
      "no-restricted-syntax": ["error",
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: "Use the injected Clock." },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "Use the injected Clock." },
      ],
      "no-restricted-imports": ["error", { patterns: ["node:fs*", "node:net", "node:http", "@nats-io/*"] }],
    },
  },
);
