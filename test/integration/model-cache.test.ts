/*
 * The model cache (src/model/compile-cache.ts): a one-shot load answered from `.moose/cache/`
 * must give exactly what a load without the cache gives, and any change to what the compile
 * read — a model, a shared type, a file an import now finds, tsconfig.json, package.json, the
 * installed @types — must make the next load compile again.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadProject } from "../../src/commands/context";
import { isMooseError } from "../../src/errors";
import { compileCachePath } from "../../src/model/compile-cache";
import { createModelLoader, type LoadedModels } from "../../src/model/model-loader";

const write = (root: string, files: Record<string, string | null>): void => {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    if (text === null) fs.rmSync(file, { force: true, recursive: true });
    else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
  }
};

const TSCONFIG = JSON.stringify({
  compilerOptions: { strict: true, target: "ES2022", module: "CommonJS", moduleResolution: "node" },
});

const project = (): string => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "moose-model-cache-"));
  write(root, {
    "moose.config.toml": '[clickhouse_config]\ndb_name = "local"\n',
    "package.json": JSON.stringify({ name: "p", private: true }),
    "tsconfig.json": TSCONFIG,
    "app/common/base.ts": `import { Key, DateTime } from "@514labs/moose-lib";\nexport interface Base { id: Key<string>; at: DateTime; }\n`,
    "app/helpers/index.ts": `export const suffix = "_v1";\n`,
    "app/models/a.ts": `import { OlapTable } from "@514labs/moose-lib";
import type { Base } from "../common/base";
import { suffix } from "../helpers";
export interface A extends Base { kind: string; }
export const ATable = new OlapTable<A>("A" + suffix, { orderByFields: ["id", "at"] });
`,
    // A type error outside the models: a warning both ways.
    "app/util.ts": `export const n: number = "not a number";\n`,
    "app/index.ts": `export * from "./models/a";\nexport * from "./util";\n`,
  });
  return root;
};

const src = (root: string, cache: boolean) => ({
  root,
  sourceDir: "app",
  defaultDatabase: "local",
  cache,
});

/**
 * A one-shot load with the cache; `hit`: whether it compiled nothing; `recompiled`: the project
 * files it checked and emitted (relative, sorted).
 */
const cachedLoad = (root: string): { models: LoadedModels; hit: boolean; recompiled: string[] } => {
  const loader = createModelLoader(src(root, true));
  const models = loader.load();
  const recompiled = loader.stats!.recompiled.map((f) => path.relative(root, f)).sort();
  return { models, hit: recompiled.length === 0, recompiled };
};

const ALL_FILES = [
  "app/common/base.ts",
  "app/helpers/index.ts",
  "app/index.ts",
  "app/models/a.ts",
  "app/util.ts",
];

const uncached = (root: string): LoadedModels => createModelLoader(src(root, false)).load();

const columnsOf = (m: LoadedModels, table: string): string[] =>
  Object.values(m.map.tables)
    .find((t) => t.name === table)!
    .columns.map((c) => c.name);

/** Loads twice with the cache: the first compiles (a change was made), the second is a hit. */
const expectMissThenHit = (root: string): LoadedModels => {
  const first = cachedLoad(root);
  expect(first.hit).toBe(false);
  const second = cachedLoad(root);
  expect(second.hit).toBe(true);
  expect(second.models).toEqual(uncached(root));
  expect(first.models).toEqual(second.models);
  return second.models;
};

describe("the model cache", () => {
  it("a second load is answered from the cache and equals an uncached load, warnings included", () => {
    const root = project();
    const first = cachedLoad(root);
    expect(first.hit).toBe(false);
    expect(fs.existsSync(compileCachePath(root))).toBe(true);
    const second = cachedLoad(root);
    expect(second.hit).toBe(true);
    expect(second.models).toEqual(uncached(root));
    expect(second.models.warnings.map((w) => w.where)).toEqual(["app/util.ts:1:14"]);
    expect(Object.values(second.models.map.tables).map((t) => t.name)).toEqual(["A_v1"]);
  });

  it("after an edit, only the edited file and its importers are compiled again (seeded)", () => {
    const root = project();
    expect(cachedLoad(root).recompiled).toEqual(ALL_FILES);
    write(root, { "app/util.ts": `export const n: number = "still not a number";\n` });
    const edited = cachedLoad(root);
    expect(edited.recompiled).toEqual(["app/index.ts", "app/util.ts"]);
    expect(edited.models).toEqual(uncached(root));
    expect(edited.models.warnings.map((w) => w.message)).toEqual([
      "Type 'string' is not assignable to type 'number'.",
    ]);
    write(root, {
      "app/common/base.ts": `import { Key, DateTime } from "@514labs/moose-lib";\nexport interface Base { id: Key<string>; at: DateTime; region: string; }\n`,
    });
    const shared = cachedLoad(root);
    expect(shared.recompiled).toEqual(["app/common/base.ts", "app/index.ts", "app/models/a.ts"]);
    expect(shared.models).toEqual(uncached(root));
    expect(columnsOf(shared.models, "A_v1")).toContain("region");
    // A change outside the project's sources (the compiler setup) redoes everything.
    write(root, {
      "tsconfig.json": JSON.stringify({ compilerOptions: { strict: true, target: "ES2023" } }),
    });
    expect(cachedLoad(root).recompiled).toEqual(ALL_FILES);
  });

  it("a seeded compile blocks on a type error in a model as a cold one does", () => {
    const root = project();
    cachedLoad(root);
    const a = path.join(root, "app/models/a.ts");
    write(root, {
      "app/models/a.ts": fs.readFileSync(a, "utf8").replace("kind: string;", "kind: Missing;"),
    });
    const messages: string[] = [];
    for (const load of [() => cachedLoad(root), () => uncached(root)])
      try {
        load();
      } catch (e) {
        messages.push(isMooseError(e) ? `${e.code}: ${e.message}` : "other");
      }
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^MODEL_TYPE_ERROR/);
    expect(messages[0]).toBe(messages[1]);
  });

  it("an edit of the same size at once (a racy stamp) is seen", () => {
    const root = project();
    cachedLoad(root);
    write(root, {
      "app/models/a.ts": fs
        .readFileSync(path.join(root, "app/models/a.ts"), "utf8")
        .replace("kind", "kend"),
    });
    expect(columnsOf(expectMissThenHit(root), "A_v1")).toContain("kend");
  });

  it("an edit of a shared type reaches the table using it", () => {
    const root = project();
    cachedLoad(root);
    write(root, {
      "app/common/base.ts": `import { Key, DateTime } from "@514labs/moose-lib";\nexport interface Base { id: Key<string>; at: DateTime; tenant: string; }\n`,
    });
    expect(columnsOf(expectMissThenHit(root), "A_v1")).toContain("tenant");
  });

  it("a file an import now resolves to (helpers.ts before helpers/index.ts) is seen", () => {
    const root = project();
    cachedLoad(root);
    write(root, { "app/helpers.ts": `export const suffix = "_v2";\n` });
    const models = expectMissThenHit(root);
    expect(Object.values(models.map.tables).map((t) => t.name)).toEqual(["A_v2"]);
  });

  it("tsconfig.json, package.json and a new @types package each make the next load compile", () => {
    const root = project();
    cachedLoad(root);
    write(root, {
      "tsconfig.json": JSON.stringify({ compilerOptions: { strict: false, target: "ES2022" } }),
    });
    expectMissThenHit(root);
    write(root, { "package.json": JSON.stringify({ name: "p", private: true, version: "2.0.0" }) });
    expectMissThenHit(root);
    write(root, {
      "node_modules/@types/extra/index.d.ts": `declare const extraGlobal: number;\n`,
      "node_modules/@types/extra/package.json": JSON.stringify({
        name: "@types/extra",
        version: "1.0.0",
        types: "index.d.ts",
      }),
    });
    expectMissThenHit(root);
  });

  it("a blocking type error is not cached; the restored file is answered from the cache again", () => {
    const root = project();
    cachedLoad(root);
    const good = fs.readFileSync(path.join(root, "app/models/a.ts"), "utf8");
    write(root, { "app/models/a.ts": good.replace("kind: string;", "kind: NoSuchType;") });
    let code: string | undefined;
    try {
      cachedLoad(root);
    } catch (e) {
      code = isMooseError(e) ? e.code : "other";
    }
    expect(code).toBe("MODEL_TYPE_ERROR");
    // Still an error the second time: nothing from the failed load was kept.
    expect(() => cachedLoad(root)).toThrow(/NoSuchType/);
    // Back to the cached content: the cache answers again (it goes by content, not by time).
    write(root, { "app/models/a.ts": good });
    const back = cachedLoad(root);
    expect(back.hit).toBe(true);
    expect(back.models).toEqual(uncached(root));
  });

  it("imports of ambient modules (Node built-ins declared by @types) are cached too", () => {
    const root = project();
    write(root, {
      "node_modules/@types/fakenode/index.d.ts": `declare module "url" { export const marker: number; }\n`,
      "node_modules/@types/fakenode/package.json": JSON.stringify({
        name: "@types/fakenode",
        version: "1.0.0",
        types: "index.d.ts",
      }),
      "app/util.ts": `import type { marker } from "url";\nexport type M = typeof marker;\nexport const n: number = "not a number";\n`,
    });
    expect(cachedLoad(root).hit).toBe(false);
    const second = cachedLoad(root);
    expect(second.hit).toBe(true);
    expect(second.models).toEqual(uncached(root));
    // A package that would now answer the import is noticed.
    write(root, {
      "node_modules/url/package.json": JSON.stringify({ name: "url", types: "index.d.ts" }),
      "node_modules/url/index.d.ts": `export const marker: string;\n`,
    });
    expect(cachedLoad(root).hit).toBe(false);
  });

  it("keeps every import the program resolved, also one the run did not take", () => {
    const root = project();
    write(root, {
      "app/extra.ts": `export const extra = 1;\n`,
      "app/util.ts": `export const n: number = "not a number";\nexport const later = () => import("./extra");\n`,
    });
    cachedLoad(root);
    const cache = JSON.parse(fs.readFileSync(compileCachePath(root), "utf8")) as {
      answers: Record<string, Record<string, string>>;
    };
    expect(cache.answers[path.join(root, "app/util.ts")]?.["./extra"]).toBe(
      path.join(root, "app/extra.ts"),
    );
    expect(cachedLoad(root).hit).toBe(true);
  });

  it("a corrupt cache file is ignored and replaced", () => {
    const root = project();
    cachedLoad(root);
    fs.writeFileSync(compileCachePath(root), "{ not json");
    expectMissThenHit(root);
  });

  it("MOOSE_MODEL_CACHE=off turns it off for commands", () => {
    const root = project();
    const opts = (env: NodeJS.ProcessEnv) => ({ root, env });
    expect(loadProject(opts({})).modelCache).toBe(true);
    expect(loadProject(opts({ MOOSE_MODEL_CACHE: "off" })).modelCache).toBe(false);
  });
});
