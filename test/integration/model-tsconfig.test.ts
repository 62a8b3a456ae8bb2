import fs from "node:fs";
import Module from "node:module";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isMooseError } from "../../src/errors";
import { loadModels } from "../../src/model/load-project";

/**
 * The project's own TypeScript setup, as real Moose projects have it: the loader checks with the
 * project's settings, resolves imports the project's way, and always runs CommonJS.
 */
const project = (files: Record<string, string>): string => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "moose-tsconfig-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
};

const load = (root: string) => loadModels({ root, sourceDir: "app", defaultDatabase: "local" });

const loadError = (root: string) => {
  try {
    load(root);
  } catch (e) {
    if (isMooseError(e)) return e;
    throw e;
  }
  throw new Error("expected loading to fail");
};

const columnsOf = (root: string, table: string) =>
  Object.values(load(root).map.tables)
    .find((t) => t.name === table)
    ?.columns.map((c) => `${c.name}:${JSON.stringify(c.data_type)}`);

const MODEL = (importPath: string) => `import { OlapTable, Key } from "@514labs/moose-lib";
import type { Row } from "${importPath}";
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
`;
const ROW = `export interface Row { id: Key<string>; n: number }\nimport type { Key } from "@514labs/moose-lib";\n`;

describe("the project's own TypeScript setup", () => {
  it('"type": "module" with module/moduleResolution nodenext and .js imports', () => {
    const root = project({
      "package.json": JSON.stringify({ name: "p", type: "module" }),
      "tsconfig.json": JSON.stringify({
        compilerOptions: { module: "nodenext", moduleResolution: "nodenext", strict: true },
      }),
      "app/index.ts": MODEL("./row.js"),
      "app/row.ts": ROW,
    });
    expect(columnsOf(root, "T")).toEqual(['id:"String"', 'n:"Float64"']);
  });

  it("moduleResolution bundler with a workspace package's `exports` subpath", () => {
    const root = project({
      "tsconfig.json": JSON.stringify({
        compilerOptions: {
          module: "esnext",
          moduleResolution: "bundler",
          verbatimModuleSyntax: true,
        },
      }),
      "app/index.ts": MODEL("@acme/models/row"),
      "packages/models/package.json": JSON.stringify({
        name: "@acme/models",
        exports: { "./row": "./lib/the-row.ts" },
      }),
      "packages/models/lib/the-row.ts": ROW,
    });
    fs.mkdirSync(path.join(root, "node_modules", "@acme"), { recursive: true });
    fs.symlinkSync(
      path.join(root, "packages/models"),
      path.join(root, "node_modules/@acme/models"),
    );
    expect(columnsOf(root, "T")).toEqual(['id:"String"', 'n:"Float64"']);
    // verbatimModuleSyntax belongs to the project's ESM build, not to the loader's CommonJS emit.
    expect(load(root).warnings).toEqual([]);
  });

  it("jsx: preserve (a .tsx file beside the models) and no tsconfig at all", () => {
    const withJsx = project({
      "tsconfig.json": JSON.stringify({ compilerOptions: { jsx: "preserve", strict: true } }),
      "app/index.ts": `${MODEL("./row")}export { page } from "./page";\n`,
      "app/row.ts": ROW,
      "app/page.tsx": `declare global { namespace JSX { interface IntrinsicElements { div: unknown } } }\nexport const page = () => null;\n`,
    });
    expect(columnsOf(withJsx, "T")).toEqual(['id:"String"', 'n:"Float64"']);
    const bare = project({ "app/index.ts": MODEL("./row"), "app/row.ts": ROW });
    expect(columnsOf(bare, "T")).toEqual(['id:"String"', 'n:"Float64"']);
  });

  it("a failed import of a row type blocks (it would plan a table without columns)", () => {
    const root = project({ "app/index.ts": MODEL("./missing") });
    const e = loadError(root);
    expect(e.code).toBe("MODEL_TYPE_ERROR");
    expect(e.message).toMatch(/app\/index\.ts:2:\d+ - Cannot find module '\.\/missing'/);
  });

  it("typia in every import style, validators built at load time", () => {
    const root = project({
      "app/index.ts": `${MODEL("./row")}
import typia from "typia";
import * as typiaNs from "typia";
import { createIs } from "typia";
export const a = typia.json.createStringify<Row>();
export const b = typiaNs.createIs<Row>();
export const c = createIs<Row>();
export const d = typia.createAssert<Row>();
`,
      "app/row.ts": ROW,
    });
    expect(columnsOf(root, "T")).toEqual(['id:"String"', 'n:"Float64"']);
  });

  it("a model that throws while loading is named with its file; require is restored", () => {
    const resolveBefore = (Module as unknown as { _resolveFilename: unknown })._resolveFilename;
    const root = project({
      "app/index.ts": `import { OlapTable } from "@514labs/moose-lib";


const boom = (): never => {
  throw new Error("model exploded");
};
export const T = new OlapTable<{ id: string }>("T", boom());
`,
    });
    const e = loadError(root);
    expect(e.code).toBe("MODEL_INVALID");
    expect(e.message).toContain("model exploded");
    // (The exact line is checked through the built CLI: vitest maps stack traces its own way.)
    expect(e.message).toContain("app/index.ts:");
    expect((Module as unknown as { _resolveFilename: unknown })._resolveFilename).toBe(
      resolveBefore,
    );
  });

  it("a linked workspace package with a malformed package.json is named", () => {
    const root = project({
      "app/index.ts": MODEL("broken-pkg"),
      "packages/broken/package.json": "{ name: broken",
    });
    fs.mkdirSync(path.join(root, "node_modules"), { recursive: true });
    fs.symlinkSync(path.join(root, "packages/broken"), path.join(root, "node_modules/broken-pkg"));
    const e = loadError(root);
    expect(e.code).toBe("MODEL_INVALID");
    expect(e.message).toContain(path.join("packages", "broken", "package.json"));
  });
});
