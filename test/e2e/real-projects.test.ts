import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * Projects shaped like real Moose apps (test/fixtures/projects): APIs, workflows, web apps,
 * transforms, consumers, dead-letter queues, `sql` templates, `getTable`, tsconfig `paths` and
 * `extends`, a workspace package holding models, the real moose-lib installed beside ours, and a
 * type error in an API handler. Each goes through the built CLI: generate → migrate → generate
 * (nothing) → status (exit 0), on the embedded engine.
 */
const CLI = path.resolve(__dirname, "../../dist/src/cli.js");
const FIXTURES = path.resolve(__dirname, "../fixtures/projects");

const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith("MOOSE_")),
);

const moose = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: cleanEnv,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const copyFixture = (name: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `moose-real-${name}-`));
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
};

/** A stand-in for the real `@514labs/moose-lib` in node_modules: loading it fails loudly. */
const installFakeMooseLib = (projectDir: string): void => {
  const dir = path.join(projectDir, "node_modules", "@514labs", "moose-lib");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "@514labs/moose-lib", version: "0.6.533", main: "index.js" }),
  );
  fs.writeFileSync(
    path.join(dir, "index.js"),
    'throw new Error("the real moose-lib was loaded instead of the tool\'s SDK");\n',
  );
  fs.writeFileSync(path.join(dir, "index.d.ts"), "export declare const notOurs: number;\n");
};

const savedFiles = (root: string): string[] =>
  fs
    .readdirSync(path.join(root, "migrations"))
    .filter((f) => f.endsWith(".yaml") && f !== "pending.yaml")
    .sort();

/** generate --save → migrate → generate (no changes) → status exit 0. */
const roundTrip = (root: string) => {
  const engine = `chdb://${path.join(root, ".moose", "ch")}`;
  const first = moose(root, "generate", "migration", "--save", "--json");
  expect(first.err).not.toContain("Error [");
  expect(first.code).toBe(0);
  const files = savedFiles(root);
  expect(files).toHaveLength(1);
  const file = parse(fs.readFileSync(path.join(root, "migrations", files[0]!), "utf8")) as {
    deltas: { type: string; table?: { name: string }; view?: { name: string } }[];
  };
  const migrate = moose(root, "migrate", "--clickhouse-url", engine);
  expect(migrate.err).not.toContain("Error [");
  expect(migrate.code).toBe(0);
  const again = moose(root, "generate", "migration", "--clickhouse-url", engine, "--json");
  expect(again.code).toBe(0);
  expect((JSON.parse(again.out) as { status: string }).status).toBe("no-changes");
  const status = moose(root, "migrate", "--status", "--clickhouse-url", engine);
  expect(status.code).toBe(0);
  return { first, file };
};

describe("existing Moose projects load unchanged", () => {
  it("an app with APIs, workflows, a web app, transforms, consumers, DLQs and sql templates", () => {
    const root = copyFixture("full-sdk");
    installFakeMooseLib(root);
    const { first, file } = roundTrip(root);
    const created = file.deltas.map((d) => `${d.type}:${d.table?.name ?? d.view?.name ?? ""}`);
    expect(created).toEqual(
      expect.arrayContaining(["CreateTable:Bar", "CreateTable:Audit", "CreateTable:BarAggregated"]),
    );
    // The API handler's type error is a warning on stderr, with its place; stdout stays JSON.
    expect(first.err).toMatch(/TypeScript problem\(s\) outside the models/);
    expect(first.err).toContain("app/apis/bar.ts:");
    expect(() => JSON.parse(first.out) as unknown).not.toThrow();
  });

  it("--verbose lists every warning; without it only the first three", () => {
    const root = copyFixture("full-sdk");
    const extra = Array.from(
      { length: 5 },
      (_, i) => `export const broken${i}: number = "x${i}";`,
    ).join("\n");
    fs.appendFileSync(path.join(root, "app", "apis", "bar.ts"), `\n${extra}\n`);
    const quiet = moose(root, "generate", "migration");
    expect(quiet.code).toBe(0);
    expect(quiet.err).toMatch(/and \d+ more \(run with --verbose to see all\)/);
    const loud = moose(root, "generate", "migration", "--verbose");
    expect(loud.code).toBe(0);
    const places = (text: string) => text.match(/app\/apis\/bar\.ts:\d+:\d+/g)?.length ?? 0;
    expect(places(quiet.err)).toBeLessThanOrEqual(3);
    expect(places(loud.err)).toBeGreaterThanOrEqual(6);
  });

  it("tsconfig extends + paths, and models in a workspace package behind a symlink", () => {
    const ws = copyFixture("workspace");
    // npm workspaces link each package into the root node_modules.
    fs.mkdirSync(path.join(ws, "node_modules"), { recursive: true });
    fs.symlinkSync(
      path.join(ws, "packages", "moose-objects"),
      path.join(ws, "node_modules", "moose-objects"),
      "dir",
    );
    installFakeMooseLib(ws);
    const root = path.join(ws, "moose");
    const { file } = roundTrip(root);
    const names = file.deltas.map((d) => d.table?.name ?? d.view?.name);
    expect(names).toEqual(expect.arrayContaining(["User", "PageView", "UserPageViews"]));
    const pageView = file.deltas.find((d) => d.table?.name === "PageView") as unknown as {
      table: { columns: { name: string }[] };
    };
    // `extends EventBase` (imported through the `@shared` path alias) contributes its columns,
    // after the interface's own (the type checker's property order, as Moose reads it).
    expect(pageView.table.columns.map((c) => c.name)).toEqual([
      "pageId",
      "durationMs",
      "eventId",
      "occurredAt",
    ]);
  });

  it("a type error inside a model's row type blocks, listing every such error with file:line", () => {
    const root = copyFixture("full-sdk");
    const models = path.join(root, "app", "ingest", "models.ts");
    const broken = fs
      .readFileSync(models, "utf8")
      .replace("timestamp: number;", "timestamp: Nmber;")
      .replace("hasText: boolean;", "hasText: Bolean;")
      .replace("textLength: number;", "textLength: Numbr;");
    fs.writeFileSync(models, broken);
    const r = moose(root, "generate", "migration");
    expect(r.code).toBe(1);
    expect(r.err).toContain("Error [MODEL_TYPE_ERROR]");
    expect(r.err).toContain("The models have 3 type error(s)");
    for (const name of ["Nmber", "Bolean", "Numbr"]) expect(r.err).toContain(`'${name}'`);
    expect(r.err).toMatch(/app\/ingest\/models\.ts:\d+:\d+/);
    // The API handler's error is not among the blocking ones.
    expect(r.err).not.toContain("not a number");
  });

  it("a type error in a table's config blocks (it would change the table)", () => {
    const root = copyFixture("full-sdk");
    const models = path.join(root, "app", "ingest", "models.ts");
    fs.writeFileSync(
      models,
      fs
        .readFileSync(models, "utf8")
        .replace('orderByFields: ["id", "at"]', 'orderByFields: ["idd"]'),
    );
    const r = moose(root, "generate", "migration");
    expect(r.code).toBe(1);
    expect(r.err).toContain("Error [MODEL_TYPE_ERROR]");
    expect(r.err).toContain("app/ingest/models.ts:");
  });

  it("a model that throws is reported at its TypeScript line; leftover timers and unawaited inert calls do not break the command", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "moose-real-throw-"));
    fs.writeFileSync(
      path.join(root, "moose.config.toml"),
      '[clickhouse_config]\ndb_name = "local"\n\n[features]\nmigrate_with_deltas = true\n',
    );
    fs.mkdirSync(path.join(root, "app"));
    const model = (body: string) =>
      fs.writeFileSync(
        path.join(root, "app", "index.ts"),
        `import { OlapTable, Key, getMooseUtils, MooseCache } from "@514labs/moose-lib";\n${body}\nexport const T = new OlapTable<{ id: Key<string> }>("T", { orderByFields: ["id"] });\n`,
      );
    model(`\n\nconst boom = (): never => {\n  throw new Error("model exploded");\n};\nboom();`);
    const thrown = moose(root, "generate", "migration");
    expect(thrown.code).toBe(1);
    expect(thrown.err).toContain("Error [MODEL_INVALID]");
    expect(thrown.err).toContain("app/index.ts:5:");
    model(
      "setInterval(() => undefined, 1000);\nvoid getMooseUtils().then(() => undefined);\nMooseCache.get();",
    );
    const r = spawnSync(process.execPath, [CLI, "generate", "migration"], {
      cwd: root,
      encoding: "utf8",
      env: cleanEnv,
      timeout: 60_000,
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Create table 'T'");
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  });
});
