/*
 * Prints model loading times for generated projects of 50 and 200 tables: a cold `loadModels`
 * (what one-shot commands do) and a warm reload by a long-lived loader after one model file is
 * saved (what `moose dev` does on every save), median of several edits that alternately add and
 * remove a column. The first cold load of the process also parses TypeScript's lib files and
 * the SDK (later loads share them), so it is shown apart.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadModels } from "../src/model/load-project";
import { createModelLoader, type LoadedModels } from "../src/model/model-loader";
import { editBenchModel, writeBenchProject } from "./projects";

const COLD_RUNS = 3;
const EDITS = 10;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Wall and CPU milliseconds of one call. */
const timed = <T>(fn: () => T): { value: T; ms: number; cpuMs: number } => {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  return { value, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
};

const columnCount = (models: LoadedModels, table: string): number =>
  Object.values(models.map.tables).find((t) => t.name === table)?.columns.length ?? -1;

const main = () => {
  for (const n of [50, 200]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `moose-bench-models-${n}-`));
    writeBenchProject(dir, n);
    const src = { root: dir, sourceDir: "app", defaultDatabase: "local" };

    const cold = Array.from({ length: COLD_RUNS }, () => timed(() => loadModels(src)));
    const coldMs = median(cold.map((r) => r.ms));

    const loader = createModelLoader(src);
    const first = timed(() => loader.load());
    const edited = Math.floor(n / 2);
    const table = `Model${edited}`;
    const base = columnCount(first.value, table);
    const warm = Array.from({ length: EDITS }, (_, i) => {
      const withField = i % 2 === 0;
      const file = editBenchModel(dir, edited, withField);
      const r = timed(() => loader.load([file]));
      // The edit must be seen, or the figure means nothing.
      if (columnCount(r.value, table) !== base + (withField ? 1 : 0))
        throw new Error(`warm reload missed the edit of ${file}`);
      return r;
    });
    const warmMs = median(warm.map((r) => r.ms));
    const recompiled = loader.stats?.recompiled.length ?? 0;
    // eslint-disable-next-line no-console
    console.log(
      `models ${String(n).padStart(4)} tables: cold loadModels ${coldMs.toFixed(0)} ms ` +
        `(median of ${COLD_RUNS}; the first ${cold[0]!.ms.toFixed(0)} ms), ` +
        `warm reload after one edit ${warmMs.toFixed(1)} ms ` +
        `(median of ${EDITS}, CPU ${median(warm.map((r) => r.cpuMs)).toFixed(1)} ms, ` +
        `${recompiled} files re-checked), cold/warm ${(coldMs / warmMs).toFixed(1)}x`,
    );
    loader.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
main();
