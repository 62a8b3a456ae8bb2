/**
 * The package as a Moose project gets it: `npm pack` of this repository (the build `npm test`
 * runs first), installed into a fresh temporary Moose project with npm, then `npx moose …` from
 * that project — the installed bin, the installed SDK typings the loader type-checks models
 * against, the installed runtime dependencies.
 *
 * Speed: the tarball is installed with `--prefer-offline` (npm's cache, warm after `npm ci`;
 * the registry only for what the cache lacks) and `--omit=optional`, which skips chdb's
 * ~0.5 GB platform binary. The embedded-engine step then links the chdb this repository
 * installed (the version its lock pins) into the project's node_modules, where the installed
 * adapter resolves it exactly as it would resolve an installed one.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = path.resolve(__dirname, "../..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const NPX = process.platform === "win32" ? "npx.cmd" : "npx";

/**
 * The environment without MOOSE_ overrides, and without what `npm test` exports about this
 * repository (`npm_config_local_prefix`, `npm_package_*`, …), which would point npm back here;
 * the cache, registry and TLS settings stay.
 */
const KEEP_NPM = new Set([
  "npm_config_cache",
  "npm_config_registry",
  "npm_config_userconfig",
  "npm_config_globalconfig",
  "npm_config_cafile",
]);
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !k.startsWith("MOOSE_") && !(k.toLowerCase().startsWith("npm_") && !KEEP_NPM.has(k)),
  ),
);

const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
};
/** `npx moose …` from the project; `--no` so npx never fetches a registry package instead. */
const moose = (...args: string[]) => run(NPX, ["--no", "--", "moose", ...args], project);

const MODEL = `import { OlapTable, Key } from "@514labs/moose-lib";

export interface PageView {
  id: Key<string>;
  url: string;
  viewedAt: Date;
}

export const PageViews = new OlapTable<PageView>("page_views", { orderByFields: ["id"] });
`;

let tmp = "";
let project: string;
let tarball: string;

beforeAll(() => {
  if (!fs.existsSync(path.join(REPO, "dist", "src", "cli.js")))
    throw new Error("dist/src/cli.js is missing: run `npm run build` first (npm test does)");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "moose-pack-"));
  // The build already ran: pack what it produced (`prepare` would build again).
  const pack = run(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], REPO);
  expect(pack.code, pack.err).toBe(0);
  tarball = path.join(tmp, (JSON.parse(pack.out) as { filename: string }[])[0]!.filename);

  project = path.join(tmp, "my-moose-app");
  fs.mkdirSync(path.join(project, "app"), { recursive: true });
  fs.writeFileSync(
    path.join(project, "moose.config.toml"),
    `[clickhouse_config]\ndb_name = "local"\n\n[features]\nmigrate_with_deltas = true\n`,
  );
  fs.writeFileSync(path.join(project, "app", "index.ts"), MODEL);
  fs.writeFileSync(
    path.join(project, "package.json"),
    `${JSON.stringify({ name: "my-moose-app", version: "0.0.0", private: true }, null, 2)}\n`,
  );
  const install = run(
    NPM,
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      "--omit=optional",
      "--save-dev",
      tarball,
    ],
    project,
  );
  expect(install.code, install.out + install.err).toBe(0);
}, 300_000);
afterAll(() => {
  if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true });
});

describe("npm pack → npm install into a Moose project → npx moose", () => {
  it("the tarball holds the built CLI, the SDK typings and the README, and no tests", () => {
    const installed = path.join(project, "node_modules", "moose-migrate");
    for (const file of [
      "dist/src/cli.js",
      "dist/src/sdk/index.d.ts",
      "dist/src/sdk/typia.d.ts",
      "README.md",
      "package.json",
    ])
      expect(fs.existsSync(path.join(installed, file)), file).toBe(true);
    expect(fs.existsSync(path.join(installed, "dist", "test"))).toBe(false);
    expect(fs.existsSync(path.join(installed, "test"))).toBe(false);
    expect(fs.existsSync(path.join(installed, "src"))).toBe(false);
    const manifest = JSON.parse(fs.readFileSync(path.join(project, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.devDependencies)).toEqual(["moose-migrate"]);
  });

  it("npx moose --help", () => {
    const r = moose("--help");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("Usage: moose");
    expect(r.out).toContain("generate");
    expect(r.out).toContain("migrate");
  });

  it("npx moose generate migration: an offline dry run printing the CreateTable", () => {
    const r = moose("generate", "migration");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/- type: CreateTable\n\s+table:\n\s+name: page_views\n/);
    const dir = path.join(project, "migrations");
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });

  it("--save, then migrate into the embedded engine; --status and plan see the table", () => {
    const chdb = path.join(REPO, "node_modules", "chdb");
    expect(fs.existsSync(chdb), "this repository's npm install brings chdb").toBe(true);
    fs.symlinkSync(chdb, path.join(project, "node_modules", "chdb"), "junction");
    const url = "chdb://.moose/ch";

    const save = moose("generate", "migration", "--save");
    expect(save.code, save.err).toBe(0);
    const files = fs.readdirSync(path.join(project, "migrations"));
    expect(files).toHaveLength(1);
    expect(fs.readFileSync(path.join(project, "migrations", files[0]!), "utf8")).toContain(
      "type: CreateTable",
    );

    const migrate = moose("migrate", "--clickhouse-url", url);
    expect(migrate.code, migrate.out + migrate.err).toBe(0);
    expect(migrate.out + migrate.err).toContain("Create table 'page_views'");

    const status = moose("migrate", "--status", "--clickhouse-url", url, "--json");
    expect(status.code, status.out + status.err).toBe(0);
    const s = JSON.parse(status.out) as { applied: string[]; pending: string[]; drift: unknown[] };
    expect(s.applied).toEqual([files[0]!.replace(/\.yaml$/, "")]);
    expect(s.pending).toEqual([]);
    expect(s.drift).toEqual([]);

    // The live database has the table as the code declares it: nothing left to plan.
    const plan = moose("plan", "--clickhouse-url", url, "--json");
    expect(plan.code, plan.out + plan.err).toBe(0);
    expect((JSON.parse(plan.out) as { status: string }).status).toBe("no-changes");
  });
});
