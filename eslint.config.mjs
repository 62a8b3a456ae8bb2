import js from "@eslint/js";
import tseslint from "typescript-eslint";

const ioModules = [
  "node:fs",
  "fs",
  "node:child_process",
  "node:net",
  "node:http",
  "node:os",
  "@clickhouse/client",
  "chdb",
  "chdb/connection",
  "kafkajs",
  "typescript",
];

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "coverage/**",
      "scripts/**",
      "migrations/**",
      "app/**",
      "test/fixtures/**",
      // The bench-only drizzle-kit install (bench/drizzle/package.json), not our code.
      "bench/drizzle/**",
      "eslint.config.mjs",
      "vitest.config.mts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true },
      ],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-console": "error",
    },
  },
  {
    // The pure core: no I/O, no vendor clients, nothing from the outer layers.
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: ioModules.map((name) => ({
            name,
            message: "src/core is pure: no I/O or vendor clients here.",
          })),
          patterns: [
            {
              group: [
                "../adapters/*",
                "../runtime/*",
                "../commands/*",
                "../ui/*",
                "../introspect/*",
                "../model/*",
                "../config/*",
              ],
              message: "src/core must not depend on outer layers.",
            },
          ],
        },
      ],
    },
  },
  {
    // Vendor clients are constructed in src/adapters only.
    files: ["src/**/*.ts"],
    ignores: ["src/adapters/**", "src/model/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: ["@clickhouse/client", "chdb", "chdb/connection", "kafkajs", "typescript"].map(
            (name) => ({
              name,
              message:
                "Only src/adapters (and the model compiler for typescript) may import vendor clients.",
            }),
          ),
          patterns: [],
        },
      ],
    },
  },
  {
    // Only the UI layer prints.
    files: ["src/**/*.ts"],
    ignores: ["src/ui/**", "src/cli.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[object.name='process'][property.name=/^(stdout|stderr)$/]",
          message: "Only src/ui and src/cli.ts write to the terminal.",
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
);
