/*
 * Generated Moose projects for the loader benchmarks: `app/index.ts` re-exports one file per
 * model under `app/models/`, and every few models share base interfaces from `app/common/`, the
 * way real projects factor common columns. Column types vary (keys, dates, low-cardinality
 * strings, optional fields, arrays, nested objects, defaults) so the type checker and the column
 * mapper do realistic work.
 */
import fs from "node:fs";
import path from "node:path";

/** Models per shared file: each shared file is imported by this many model files. */
const MODELS_PER_SHARED = 10;

const modelName = (i: number): string => `Model${i}`;
const modelFile = (i: number): string => `model_${String(i).padStart(4, "0")}.ts`;
const sharedFile = (k: number): string => `common_${String(k).padStart(3, "0")}.ts`;

/** Where model `i` of a generated project lives. */
export const benchModelPath = (dir: string, i: number): string =>
  path.join(dir, "app", "models", modelFile(i));

const sharedSource = (
  k: number,
): string => `import { Key, DateTime, LowCardinality } from "@514labs/moose-lib";

/** Columns every event of group ${k} carries. */
export interface BaseEvent${k} {
  /** The event's id. */
  eventId: Key<string>;
  occurredAt: DateTime;
  tenant: string & LowCardinality;
}

export interface Geo${k} {
  country: string & LowCardinality;
  city?: string;
  latitude: number;
  longitude: number;
}
`;

/**
 * Model `i`: an interface of about 8 columns (extending a shared base for even `i`, with a
 * shared nested object for every third) and its table. `extra` adds one more column: the
 * benchmark's edit.
 */
const modelSource = (i: number, extra: boolean): string => {
  const k = Math.floor(i / MODELS_PER_SHARED);
  const name = modelName(i);
  const base = i % 2 === 0;
  const nested = i % 3 === 0;
  const imports = [base ? `BaseEvent${k}` : undefined, nested ? `Geo${k}` : undefined].filter(
    (x): x is string => x !== undefined,
  );
  const fields = [
    base ? undefined : `  id: Key<string>;`,
    base ? undefined : `  createdAt: DateTime;`,
    `  /** Who did it. */`,
    `  userId: string;`,
    `  amount: Float64;`,
    `  count${i}: UInt32;`,
    `  status: string & LowCardinality;`,
    `  tags: string[];`,
    `  note?: string;`,
    `  scores: number[];`,
    `  region: string & ClickHouseDefault<"'eu'">;`,
    nested ? `  geo: Geo${k};` : `  isActive: boolean;`,
    extra ? `  addedField${i}?: string;` : undefined,
  ].filter((x): x is string => x !== undefined);
  return `import {
  OlapTable,
  Key,
  DateTime,
  LowCardinality,
  Float64,
  UInt32,
  ClickHouseDefault,
} from "@514labs/moose-lib";
${imports.length > 0 ? `import type { ${imports.join(", ")} } from "../common/${sharedFile(k).replace(/\.ts$/, "")}";\n` : ""}
export interface ${name}${base ? ` extends BaseEvent${k}` : ""} {
${fields.join("\n")}
}

export const ${name}Table = new OlapTable<${name}>("${name}", {
  orderByFields: [${base ? `"eventId", "occurredAt"` : `"id", "createdAt"`}],
});
`;
};

const CONFIG = `language = "Typescript"
source_dir = "app"

[clickhouse_config]
db_name = "local"

[features]
migrate_with_deltas = true
`;

/** The bench projects' tsconfig.json. */
export const TSCONFIG = {
  compilerOptions: {
    outDir: "dist",
    esModuleInterop: true,
    strict: true,
    target: "ES2022",
    module: "CommonJS",
    moduleResolution: "node",
    skipLibCheck: true,
  },
};

/** A bench project's skeleton: `app/models/`, moose.config.toml, package.json, tsconfig.json. */
export const writeProjectSkeleton = (dir: string, name: string): void => {
  fs.mkdirSync(path.join(dir, "app", "models"), { recursive: true });
  fs.writeFileSync(path.join(dir, "moose.config.toml"), CONFIG);
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name, private: true }, null, 2),
  );
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
};

/** Writes a Moose project with `n` tables into `dir` (created if missing). */
export const writeBenchProject = (dir: string, n: number): void => {
  writeProjectSkeleton(dir, "bench-project");
  fs.mkdirSync(path.join(dir, "app", "common"), { recursive: true });
  for (let k = 0; k * MODELS_PER_SHARED < n; k++)
    fs.writeFileSync(path.join(dir, "app", "common", sharedFile(k)), sharedSource(k));
  const reexports: string[] = [];
  for (let i = 0; i < n; i++) {
    fs.writeFileSync(benchModelPath(dir, i), modelSource(i, false));
    reexports.push(`export * from "./models/${modelFile(i).replace(/\.ts$/, "")}";`);
  }
  fs.writeFileSync(path.join(dir, "app", "index.ts"), `${reexports.join("\n")}\n`);
};

/**
 * Rewrites model `i` with its extra column (`withField`) or without it, as a user saving the
 * file would. Returns the file's path.
 */
export const editBenchModel = (dir: string, i: number, withField: boolean): string => {
  const file = benchModelPath(dir, i);
  fs.writeFileSync(file, modelSource(i, withField));
  return file;
};
