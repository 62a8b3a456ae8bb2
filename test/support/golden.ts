import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** The reference captures from the real Moose CLI (copies kept in test/fixtures, so the tests need nothing outside the repository). */
export const GOLDEN_DIR = path.resolve(__dirname, "../fixtures/moose-golden");

export const goldenSteps = (): string[] =>
  fs
    .readdirSync(GOLDEN_DIR)
    .filter((d) => fs.existsSync(path.join(GOLDEN_DIR, d, "statehash.txt")))
    .sort();

export const goldenRead = (step: string, file: string): string =>
  fs.readFileSync(path.join(GOLDEN_DIR, step, file), "utf8");

export const goldenHas = (step: string, file: string): boolean =>
  fs.existsSync(path.join(GOLDEN_DIR, step, file));

export const goldenStateHash = (step: string): string =>
  /=\s*([0-9a-f]{64})/.exec(goldenRead(step, "statehash.txt"))![1]!;

export const goldenDefaultDb = (step: string): string =>
  (JSON.parse(goldenRead(step, "infrastructure_map.json")) as { default_database: string })
    .default_database;

export const goldenMigrationFiles = (step: string): string[] => {
  const dir = path.join(GOLDEN_DIR, step, "migrations");
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
    : [];
};

/** A throwaway Moose project: config, `app/index.ts` and optional migrations. */
export const makeProject = (opts: {
  model?: string;
  dbName?: string;
  config?: string;
  migrations?: Record<string, string>;
}): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moose-proj-"));
  fs.writeFileSync(
    path.join(dir, "moose.config.toml"),
    opts.config ??
      `[clickhouse_config]\ndb_name = "${opts.dbName ?? "local"}"\n\n[features]\nmigrate_with_deltas = true\n`,
  );
  if (opts.model !== undefined) {
    fs.mkdirSync(path.join(dir, "app"), { recursive: true });
    fs.writeFileSync(path.join(dir, "app", "index.ts"), opts.model);
  }
  fs.mkdirSync(path.join(dir, "migrations"), { recursive: true });
  for (const [name, text] of Object.entries(opts.migrations ?? {}))
    fs.writeFileSync(path.join(dir, "migrations", name), text);
  return dir;
};
