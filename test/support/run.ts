import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connectClickHouse, type ClickHousePort } from "../../src/adapters/clickhouse";
import type { GlobalOptions } from "../../src/commands/context";
import { answerWith, type DecisionPort } from "../../src/commands/decisions";
import { generateMigration, type GenerateResult } from "../../src/commands/generate";
import { migrate, type MigrateResult } from "../../src/commands/migrate";
import type { ClickHouseTarget } from "../../src/config/url";

/** Statements sent to ClickHouse (excluding reads), for comparing DDL with the reference. */
export interface Recorder {
  commands: string[];
  queries: number;
  connect: (target: ClickHouseTarget) => ClickHousePort;
}

export const recorder = (): Recorder => {
  const r: Recorder = {
    commands: [],
    queries: 0,
    connect: (target) => {
      const inner = connectClickHouse(target);
      return {
        target,
        query: (sql, params, settings) => {
          r.queries++;
          return inner.query(sql, params, settings);
        },
        command: (sql, opts) => {
          r.commands.push(sql);
          return inner.command(sql, opts);
        },
        close: () => inner.close(),
      };
    },
  };
  return r;
};

/** Yes to everything: destructive changes, renames, version bumps with backfill (like --yes-all). */
export const approveAll: DecisionPort = answerWith(() => true);
/** Destructive changes approved, renames refused (drop + add), as with --yes-destructive. */
export const dropAndAdd: DecisionPort = answerWith((d) => d.kind !== "rename");
export const rejectAll: DecisionPort = answerWith(() => false);

/**
 * The embedded engine's data directory for this test process. chDB binds one directory per
 * process, and a `:memory:` engine disappears when its last connection closes (each command
 * closes its own), so tests use one on-disk directory per test file, isolated by database name.
 */
export const ENGINE_DIR = path.join(os.tmpdir(), `moose-test-chdb-${process.pid}`);
export const ENGINE_URL = `chdb://${ENGINE_DIR}`;

/** Options for running commands in-process on the embedded engine. */
export const opts = (root: string, rec?: Recorder, url = ENGINE_URL): GlobalOptions => ({
  root,
  clickhouseUrl: url,
  env: {},
  ...(rec ? { connect: rec.connect } : {}),
});

export const gen = (
  root: string,
  o: Partial<GlobalOptions> & { save?: boolean; rec?: Recorder } = {},
  decisions: DecisionPort = approveAll,
): Promise<GenerateResult> =>
  generateMigration({ ...opts(root, o.rec), ...o, save: o.save ?? true }, decisions);

export const mig = (
  root: string,
  rec?: Recorder,
  extra: Partial<GlobalOptions> = {},
): Promise<MigrateResult> => migrate({ ...opts(root, rec), ...extra }, () => undefined);

/** Runs SQL on the embedded engine directly (seeding data, hand-made DDL, checks). */
export const withEngine = async <T>(fn: (ch: ClickHousePort) => Promise<T>): Promise<T> => {
  const ch = connectClickHouse({
    kind: "chdb",
    path: ENGINE_DIR,
    database: "default",
    display: "",
  });
  try {
    return await fn(ch);
  } finally {
    await ch.close();
  }
};

export const setModel = (root: string, model: string): void => {
  fs.mkdirSync(path.join(root, "app"), { recursive: true });
  fs.writeFileSync(path.join(root, "app", "index.ts"), model);
};
