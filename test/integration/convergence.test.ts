import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeProject } from "../support/golden";
import { gen, mig } from "../support/run";

/** A column drawn from the types issue 2 covers. */
const TYPES = [
  "string",
  "number",
  "boolean",
  "Date",
  "Int32",
  "UInt64",
  "Float32",
  "DateTime64<3>",
  "string[]",
  "string & LowCardinality",
  'UInt32 & ClickHouseDefault<"0">',
];
const column = fc.record({ type: fc.constantFrom(...TYPES), optional: fc.boolean() });
const table = fc.record({
  columns: fc.dictionary(fc.constantFrom("a", "b", "c", "d", "e", "f"), column, {
    minKeys: 1,
    maxKeys: 5,
  }),
  orderByTs: fc.boolean(),
  partitioned: fc.boolean(),
});
/** A schema: up to three tables; an evolution is a sequence of schemas. */
const schema = fc.dictionary(fc.constantFrom("Alpha", "Beta", "Gamma"), table, {
  minKeys: 0,
  maxKeys: 3,
});

const modelText = (
  s: Record<
    string,
    {
      columns: Record<string, { type: string; optional: boolean }>;
      orderByTs: boolean;
      partitioned: boolean;
    }
  >,
): string =>
  [
    'import { OlapTable, Key, Int32, UInt32, UInt64, Float32, DateTime64, LowCardinality, ClickHouseDefault } from "@514labs/moose-lib";',
    ...Object.entries(s).flatMap(([name, t]) => {
      const cols = Object.entries(t.columns)
        .filter(([c]) => c !== "id" && c !== "ts")
        .map(
          ([c, col]) =>
            `  ${c}${col.optional && !col.type.includes("[]") ? "?" : ""}: ${col.type};`,
        );
      return [
        `export interface ${name}Row {\n  id: Key<string>;\n  ts: Date;\n${cols.join("\n")}\n}`,
        `export const ${name}T = new OlapTable<${name}Row>("${name}", { orderByFields: ${t.orderByTs ? '["id", "ts"]' : '["id"]'}${t.partitioned ? ', partitionBy: "toYYYYMM(ts)"' : ""} });`,
      ];
    }),
  ].join("\n");

describe("convergence: generate → migrate → introspect → generate yields no deltas", () => {
  it("holds over random schema evolutions (seeded)", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(schema, { minLength: 1, maxLength: 3 }), async (steps) => {
        const root = makeProject({ dbName: `conv_${process.pid}_${run++}` });
        fs.mkdirSync(path.join(root, "app"), { recursive: true });
        for (const s of steps) {
          fs.writeFileSync(path.join(root, "app", "index.ts"), modelText(s));
          const first = await gen(root);
          await mig(root);
          const again = await gen(root, { save: false });
          expect(again.deltas, `after applying ${first.status}`).toEqual([]);
          expect(again.status).toBe("no-changes");
        }
      }),
      { numRuns: 12, seed: 20261122, endOnFailure: true },
    );
  }, 600_000);
});
