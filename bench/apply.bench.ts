/*
 * `moose migrate` throughput: steps per second applying one file of 10,000 AddTableColumn
 * steps (20 tables × 500 columns) on the embedded engine, with the per-step journal
 * (MOOSE_JOURNAL_BATCH=1: one journal INSERT and one lock check per step, as before batching)
 * and with the default batching (runtime/journal-batch.ts). APPLY_BENCH_STEPS changes the size
 * (a multiple of 20).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { answerWith } from "../src/commands/decisions";
import { generateMigration } from "../src/commands/generate";
import { migrate } from "../src/commands/migrate";

const TABLES = 20;
const STEPS = Number(process.env.APPLY_BENCH_STEPS ?? 10_000);
const COLS = Math.max(1, Math.floor(STEPS / TABLES));

const model = (cols: number) =>
  `import { OlapTable, Key } from "@514labs/moose-lib";\n` +
  Array.from(
    { length: TABLES },
    (_, t) =>
      `export interface T${t} { id: Key<string>;${Array.from({ length: cols }, (_, c) => ` c${c}: string;`).join("")} }\n` +
      `export const X${t} = new OlapTable<T${t}>("T${t}", { orderByFields: ["id"] });\n`,
  ).join("");

/** A project whose second file adds COLS columns to each of TABLES tables. */
const project = async (db: string): Promise<string> => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "moose-bench-apply-"));
  fs.writeFileSync(
    path.join(root, "moose.config.toml"),
    `[clickhouse_config]\ndb_name = "${db}"\n\n[features]\nmigrate_with_deltas = true\n`,
  );
  fs.mkdirSync(path.join(root, "app"));
  fs.mkdirSync(path.join(root, "migrations"));
  const yes = answerWith(() => true);
  for (const cols of [0, COLS]) {
    fs.writeFileSync(path.join(root, "app", "index.ts"), model(cols));
    await generateMigration({ root, env: {}, save: true }, yes);
  }
  return root;
};

/** Seconds the big file took to apply, from its start to its end. */
const applySeconds = async (root: string, url: string, env: NodeJS.ProcessEnv) => {
  let started = 0;
  let seconds = 0;
  let deltas = 0;
  await migrate({ root, clickhouseUrl: url, env }, (e) => {
    if (e.kind === "file-start" && e.deltas >= STEPS / 2) {
      started = performance.now();
      deltas = e.deltas;
    }
    if (e.kind === "file-done" && started > 0 && seconds === 0)
      seconds = (performance.now() - started) / 1000;
  });
  return { seconds, deltas };
};

const main = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moose-bench-apply-db-"));
  const url = `chdb://${dir}`;
  const before = await applySeconds(await project("bench_per_step"), url, {
    MOOSE_JOURNAL_BATCH: "1",
  });
  const after = await applySeconds(await project("bench_batched"), url, {});
  const rate = (r: { seconds: number; deltas: number }) => r.deltas / r.seconds;
  // eslint-disable-next-line no-console
  console.log(
    `apply ${after.deltas} steps (AddTableColumn × ${TABLES} tables): ` +
      `per-step journal ${rate(before).toFixed(0)} steps/s (${before.seconds.toFixed(1)} s), ` +
      `batched ${rate(after).toFixed(0)} steps/s (${after.seconds.toFixed(1)} s), ` +
      `×${(rate(after) / rate(before)).toFixed(1)}`,
  );
};
void main();
