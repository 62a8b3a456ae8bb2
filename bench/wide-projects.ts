/*
 * The issue-14 comparison projects: N tables of 14 columns and one skip index each, written once
 * as a Moose project (one model file per table, re-exported from `app/index.ts`) and once as the
 * equivalent drizzle-kit Postgres schema (one schema file per table, the way drizzle projects
 * split large schemas), so both tools load, diff and write the same amount of schema.
 */
import fs from "node:fs";
import path from "node:path";
import { TSCONFIG, writeProjectSkeleton } from "./projects";

const pad = (i: number): string => String(i).padStart(4, "0");

const mooseModel = (i: number, extra: boolean): string => `import {
  OlapTable,
  Key,
  DateTime,
  LowCardinality,
  Float64,
  UInt32,
  Int64,
  ClickHouseDefault,
} from "@514labs/moose-lib";

export interface Event${i} {
  id: Key<string>;
  createdAt: DateTime;
  userId: string;
  sessionId: string;
  amount: Float64;
  quantity: UInt32;
  total: Int64;
  status: string & LowCardinality;
  country: string & LowCardinality;
  tags: string[];
  note?: string;
  scores: number[];
  region: string & ClickHouseDefault<"'eu'">;
  isActive: boolean;${extra ? `\n  addedField?: string;` : ""}
}

export const Event${i}Table = new OlapTable<Event${i}>("events_${pad(i)}", {
  orderByFields: ["id", "createdAt"],
  indexes: [{ name: "idx_user", expression: "userId", type: "bloom_filter", granularity: 4 }],
});
`;

/** Moose project `dir` with `n` tables; model `edited` (if any) carries one extra column. */
export const writeMooseWideProject = (dir: string, n: number, edited?: number): void => {
  writeProjectSkeleton(dir, "bench-moose");
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    fs.writeFileSync(
      path.join(dir, "app", "models", `event_${pad(i)}.ts`),
      mooseModel(i, i === edited),
    );
    lines.push(`export * from "./models/event_${pad(i)}";`);
  }
  fs.writeFileSync(path.join(dir, "app", "index.ts"), `${lines.join("\n")}\n`);
};

/** Rewrites Moose model `i` with or without its extra column; returns the file's path. */
export const editMooseWideModel = (dir: string, i: number, extra: boolean): string => {
  const file = path.join(dir, "app", "models", `event_${pad(i)}.ts`);
  fs.writeFileSync(file, mooseModel(i, extra));
  return file;
};

const drizzleTable = (i: number, extra = false): string => `import {
  pgTable,
  text,
  timestamp,
  doublePrecision,
  integer,
  bigint,
  boolean,
  index,
} from "drizzle-orm/pg-core";

export const events${pad(i)} = pgTable(
  "events_${pad(i)}",
  {
    id: text("id").primaryKey(),
    createdAt: timestamp("created_at").notNull(),
    userId: text("user_id").notNull(),
    sessionId: text("session_id").notNull(),
    amount: doublePrecision("amount").notNull(),
    quantity: integer("quantity").notNull(),
    total: bigint("total", { mode: "number" }).notNull(),
    status: text("status").notNull(),
    country: text("country").notNull(),
    tags: text("tags").array().notNull(),
    note: text("note"),
    scores: doublePrecision("scores").array().notNull(),
    region: text("region").notNull().default("eu"),
    isActive: boolean("is_active").notNull(),${extra ? `\n    addedField: text("added_field"),` : ""}
  },
  (t) => [index("events_${pad(i)}_user_idx").on(t.userId)],
);
`;

/** The drizzle-kit project of the same schema: `drizzle.config.ts` and `src/schema/*.ts`. */
export const writeDrizzleWideProject = (dir: string, n: number): void => {
  fs.mkdirSync(path.join(dir, "src", "schema"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "drizzle.config.ts"),
    `import { defineConfig } from "drizzle-kit";\n\nexport default defineConfig({\n  dialect: "postgresql",\n  schema: "./src/schema",\n  out: "./drizzle",\n});\n`,
  );
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "bench-drizzle", private: true }, null, 2),
  );
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
  for (let i = 0; i < n; i++)
    fs.writeFileSync(path.join(dir, "src", "schema", `events_${pad(i)}.ts`), drizzleTable(i));
};

/** Rewrites drizzle table file `i` with or without one extra column; returns the file's path. */
export const editDrizzleWideTable = (dir: string, i: number, extra: boolean): string => {
  const file = path.join(dir, "src", "schema", `events_${pad(i)}.ts`);
  fs.writeFileSync(file, drizzleTable(i, extra));
  return file;
};
