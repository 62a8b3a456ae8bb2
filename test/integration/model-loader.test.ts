import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isMooseError, type MooseError } from "../../src/errors";
import { loadModels } from "../../src/model/load-project";
import {
  createModelLoader,
  type LoadedModels,
  type ModelLoader,
} from "../../src/model/model-loader";

/**
 * The long-lived loader behind `moose dev`: after every edit, a warm load (which re-checks and
 * re-emits only what the edit can reach) must give exactly what a cold `loadModels` of the same
 * files gives — the same map, the same warnings, the same errors.
 */
const project = (files: Record<string, string | null>): string => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "moose-loader-"));
  write(root, {
    "moose.config.toml": '[clickhouse_config]\ndb_name = "local"\n',
    "tsconfig.json": JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "ES2022",
        module: "CommonJS",
        moduleResolution: "node",
        esModuleInterop: true,
        resolveJsonModule: true,
      },
    }),
    ...files,
  });
  return root;
};

const write = (root: string, files: Record<string, string | null>): void => {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    if (text === null) fs.rmSync(file, { force: true });
    else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
  }
};

const source = (root: string) => ({ root, sourceDir: "app", defaultDatabase: "local" });

type Outcome = { ok: LoadedModels } | { error: MooseError };

const outcome = (load: () => LoadedModels): Outcome => {
  try {
    return { ok: load() };
  } catch (e) {
    if (isMooseError(e)) return { error: e };
    throw e;
  }
};

/** A warm load, checked against a cold load of the same files. */
const warmLoad = (loader: ModelLoader, root: string, changed?: string[]): Outcome => {
  const warm = outcome(() => loader.load(changed));
  const cold = outcome(() => loadModels(source(root)));
  if ("ok" in cold) {
    expect("ok" in warm ? warm.ok : warm.error.message).toEqual(cold.ok);
  } else {
    expect("error" in warm ? [warm.error.code, warm.error.message] : "loaded").toEqual([
      cold.error.code,
      cold.error.message,
    ]);
  }
  return warm;
};

const loaded = (o: Outcome): LoadedModels => {
  if ("error" in o) throw o.error;
  return o.ok;
};

const columns = (models: LoadedModels, table: string): string[] | undefined =>
  Object.values(models.map.tables)
    .find((t) => t.name === table)
    ?.columns.map((c) => `${c.name}${c.required ? "" : "?"}:${JSON.stringify(c.data_type)}`);

const tables = (models: LoadedModels): string[] =>
  Object.values(models.map.tables)
    .map((t) => t.name)
    .sort();

const recompiled = (loader: ModelLoader, root: string): string[] =>
  (loader.stats?.recompiled ?? [])
    .map((f) => path.relative(root, f).split(path.sep).join("/"))
    .sort();

const BASE = `import { Key, DateTime } from "@514labs/moose-lib";

export interface Base {
  id: Key<string>;
  at: DateTime;
}
`;

const MODEL_A = `import { OlapTable, LowCardinality } from "@514labs/moose-lib";
import type { Base } from "./types";

/** An event. */
export interface A extends Base {
  kind: string & LowCardinality;
  note?: string;
}

export const ATable = new OlapTable<A>("A", { orderByFields: ["id", "at"] });
`;

const MODEL_B = `import { OlapTable, Key } from "@514labs/moose-lib";

export interface B {
  id: Key<string>;
  tags: string[];
}

export const BTable = new OlapTable<B>("B", { orderByFields: ["id"] });
`;

const files = () => ({
  "app/common/base.ts": BASE,
  // Re-exported unchanged: an edit of base.ts changes A's columns although types.ts's own
  // text (and exported shape) stays the same.
  "app/models/types.ts": `export type { Base } from "../common/base";\n`,
  "app/models/a.ts": MODEL_A,
  "app/models/b.ts": MODEL_B,
  "app/index.ts": `export * from "./models/a";\nexport * from "./models/b";\n`,
});

describe("the long-lived model loader", () => {
  it("an edit of an interface in another file reaches the tables using it, through re-exports", () => {
    const root = project(files());
    const loader = createModelLoader(source(root));
    const first = warmLoad(loader, root);
    expect(columns(loaded(first), "A")).toEqual([
      'kind:"String"',
      'note?:"String"',
      'id:"String"',
      'at:"DateTime"',
    ]);

    write(root, {
      "app/common/base.ts": BASE.replace("at: DateTime;", "at: DateTime;\n  tenant: number;"),
    });
    const second = loaded(warmLoad(loader, root, ["app/common/base.ts"]));
    expect(columns(second, "A")).toContain('tenant:"Float64"');
    expect(columns(second, "B")).toEqual([
      'id:"String"',
      'tags:{"elementType":"String","elementNullable":false}',
    ]);
    // Only what the edit can reach was checked and emitted again; b.ts was not.
    expect(recompiled(loader, root)).toEqual([
      "app/common/base.ts",
      "app/index.ts",
      "app/models/a.ts",
      "app/models/types.ts",
    ]);
  });

  it("a new model file and its import; then a table deleted", () => {
    const root = project(files());
    const loader = createModelLoader(source(root));
    expect(tables(loaded(warmLoad(loader, root)))).toEqual(["A", "B"]);

    write(root, {
      "app/models/c.ts": MODEL_B.replace(/\bB\b/g, "C").replace("BTable", "CTable"),
      "app/index.ts": `export * from "./models/a";\nexport * from "./models/b";\nexport * from "./models/c";\n`,
    });
    const added = loaded(warmLoad(loader, root, ["app/models/c.ts", "app/index.ts"]));
    expect(tables(added)).toEqual(["A", "B", "C"]);
    expect(columns(added, "C")).toEqual(columns(added, "B"));

    write(root, {
      "app/models/b.ts": null,
      "app/index.ts": `export * from "./models/a";\nexport * from "./models/c";\n`,
    });
    expect(tables(loaded(warmLoad(loader, root, ["app/models/b.ts"])))).toEqual(["A", "C"]);
  });

  it("a deleted file still imported fails as a cold load does, and recovers when it is back", () => {
    const root = project(files());
    const loader = createModelLoader(source(root));
    loaded(warmLoad(loader, root));
    write(root, { "app/models/b.ts": null });
    const missing = warmLoad(loader, root);
    expect("error" in missing).toBe(true);
    write(root, { "app/models/b.ts": MODEL_B });
    expect(tables(loaded(warmLoad(loader, root)))).toEqual(["A", "B"]);
  });

  it("a syntax error is MODEL_TYPE_ERROR at its file:line, and the fixed file loads again", () => {
    const root = project(files());
    const loader = createModelLoader(source(root));
    loaded(warmLoad(loader, root));

    write(root, {
      "app/models/a.ts": MODEL_A.replace("kind: string & LowCardinality;", "kind: string &;"),
    });
    const broken = warmLoad(loader, root, ["app/models/a.ts"]);
    if (!("error" in broken)) throw new Error("expected a type error");
    expect(broken.error.code).toBe("MODEL_TYPE_ERROR");
    expect(broken.error.message).toMatch(/app\/models\/a\.ts:6:\d+ - Type expected/);

    // The same error again when nothing changed, and in the interface file it imports.
    expect("error" in warmLoad(loader, root)).toBe(true);
    write(root, {
      "app/models/a.ts": MODEL_A,
      "app/common/base.ts": BASE.replace("at: DateTime;", "at: DateTim;"),
    });
    const inBase = warmLoad(loader, root, ["app/models/a.ts", "app/common/base.ts"]);
    if (!("error" in inBase)) throw new Error("expected a type error");
    expect(inBase.error.message).toMatch(
      /app\/common\/base\.ts:5:\d+ - Cannot find name 'DateTim'/,
    );

    write(root, { "app/common/base.ts": BASE });
    const fixed = loaded(warmLoad(loader, root, ["app/common/base.ts"]));
    expect(tables(fixed)).toEqual(["A", "B"]);
  });

  it("an unsupported column type fails while emitting, as a cold load does, and the fix loads", () => {
    const root = project(files());
    const loader = createModelLoader(source(root));
    loaded(warmLoad(loader, root));
    write(root, { "app/models/b.ts": MODEL_B.replace("tags: string[];", "tags: bigint;") });
    const failed = warmLoad(loader, root, ["app/models/b.ts"]);
    if (!("error" in failed)) throw new Error("expected an unsupported type");
    expect(failed.error.code).toBe("MODEL_UNSUPPORTED_TYPE");
    expect(failed.error.message).toContain("app/models/b.ts:5:");
    write(root, { "app/models/b.ts": MODEL_B });
    expect(tables(loaded(warmLoad(loader, root, ["app/models/b.ts"])))).toEqual(["A", "B"]);
  });

  it("sees edits no watcher reported, also a second save of the same size right after a load", () => {
    const root = project(files());
    const loader = createModelLoader(source(root));
    loaded(warmLoad(loader, root));
    write(root, { "app/models/b.ts": MODEL_B.replace("tags: string[];", "tags: number[];") });
    // Reported: the other file only.
    const edited = loaded(warmLoad(loader, root, ["app/models/a.ts"]));
    expect(columns(edited, "B")).toContain(
      'tags:{"elementType":"Float64","elementNullable":false}',
    );
    // Same length, same second: only the content tells.
    write(root, { "app/models/b.ts": MODEL_B.replace("tags: string[];", "tugs: number[];") });
    expect(columns(loaded(warmLoad(loader, root)), "B")).toContain(
      'tugs:{"elementType":"Float64","elementNullable":false}',
    );
  });

  it("runs every module afresh: an edited JSON file the models read is not served from a cache", () => {
    const root = project({
      ...files(),
      "app/names.json": JSON.stringify({ b: "B" }),
      "app/models/b.ts": MODEL_B.replace(
        'new OlapTable<B>("B"',
        "new OlapTable<B>(names.b",
      ).replace(
        'import { OlapTable, Key } from "@514labs/moose-lib";',
        'import { OlapTable, Key } from "@514labs/moose-lib";\nimport names from "../names.json";',
      ),
    });
    const loader = createModelLoader(source(root));
    expect(tables(loaded(warmLoad(loader, root)))).toEqual(["A", "B"]);
    write(root, { "app/names.json": JSON.stringify({ b: "Renamed" }) });
    expect(tables(loaded(warmLoad(loader, root)))).toEqual(["A", "Renamed"]);
    // A JSON file declares nothing global: only its importers were redone.
    expect(recompiled(loader, root)).toEqual(["app/index.ts", "app/models/b.ts", "app/names.json"]);
  });

  it("a new file that now wins an unchanged import's resolution is used (x.ts over x/index.ts)", () => {
    const root = project({
      ...files(),
      "app/models/types/index.ts": `export type { Base } from "../../common/base";\n`,
      "app/models/types.ts": null,
    });
    const loader = createModelLoader(source(root));
    expect(columns(loaded(warmLoad(loader, root)), "A")).not.toContain('extra:"String"');
    write(root, {
      "app/models/types.ts": `import type { Base as B0 } from "../common/base";\nexport interface Base extends B0 { extra: string }\n`,
    });
    expect(columns(loaded(warmLoad(loader, root)), "A")).toContain('extra:"String"');
  });

  it("a changed tsconfig starts over (a path alias appears)", () => {
    const root = project(files());
    const loader = createModelLoader(source(root));
    loaded(warmLoad(loader, root));
    const tsconfig = JSON.parse(fs.readFileSync(path.join(root, "tsconfig.json"), "utf8")) as {
      compilerOptions: Record<string, unknown>;
    };
    tsconfig.compilerOptions.paths = { "@common/*": ["./app/common/*"] };
    write(root, {
      "tsconfig.json": JSON.stringify(tsconfig),
      "app/models/types.ts": `export type { Base } from "@common/base";\n`,
    });
    expect(tables(loaded(warmLoad(loader, root)))).toEqual(["A", "B"]);
  });
});
