/*
 * moose dev: how long from saving a model file to migrations/pending.yaml rewritten, at 50 and
 * 200 tables, next to a cold `moose generate migration` of the same project (what a user
 * without dev waits for after each save). The save goes through the real watcher (chokidar,
 * debounce), the session, the embedded ClickHouse and the file write; the figure is the time
 * until pending.yaml on disk holds the change.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { answerWith } from "../src/commands/decisions";
import { startDev } from "../src/commands/dev";
import type { DevEvent } from "../src/dev/session";
import { editBenchModel, writeBenchProject } from "./projects";

const SAVES = 12;
const CLI = path.resolve(__dirname, "../src/cli.js");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

const coldGenerate = (root: string): number => {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, "generate", "migration"], {
      cwd: root,
      encoding: "utf8",
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MOOSE_"))),
    });
    if (r.status !== 0) throw new Error(`generate failed: ${r.stderr}`);
    runs.push(performance.now() - t0);
  }
  return median(runs);
};

const main = async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "moose-bench-dev-"));
  // chDB opens one data directory per process: both sizes share it, in their own databases.
  const data = path.join(base, "clickhouse");
  for (const n of [50, 200]) {
    const root = path.join(base, `p${n}`);
    writeBenchProject(root, n);
    fs.writeFileSync(
      path.join(root, "moose.config.toml"),
      `[clickhouse_config]\ndb_name = "bench_dev_${n}"\n\n[features]\nstreaming_engine = false\n`,
    );
    const cold = coldGenerate(root);

    let onCycle: ((e: Extract<DevEvent, { kind: "cycle" }>) => void) | undefined;
    const handle = await startDev(
      {
        root,
        env: {},
        clickhouseUrl: `chdb://${data}`,
        port: 0,
      },
      answerWith(() => true),
      (e) => {
        if (e.kind === "cycle") onCycle?.(e);
        if (e.kind === "failed") throw new Error(e.error.message);
      },
    );
    const pending = path.join(root, "migrations", "pending.yaml");
    const saves: number[] = [];
    const cycles: number[] = [];
    const parts: string[] = [];
    for (let k = 0; k < SAVES; k++) {
      const before = fs.existsSync(pending) ? fs.readFileSync(pending, "utf8") : "";
      const cycle = new Promise<Extract<DevEvent, { kind: "cycle" }>>((r) => (onCycle = r));
      const t0 = performance.now();
      // Model i gains its extra field, then loses it again: pending.yaml changes every time.
      editBenchModel(root, Math.floor(k / 2) % n, k % 2 === 0);
      const e = await cycle;
      const after = fs.existsSync(pending) ? fs.readFileSync(pending, "utf8") : "";
      if (after === before) throw new Error("pending.yaml did not change");
      saves.push(performance.now() - t0);
      cycles.push(e.ms);
      parts.push(JSON.stringify(e.timings));
    }
    await handle.stop();
    if (process.env.BENCH_VERBOSE) console.log(parts.join("\n")); // eslint-disable-line no-console
    // eslint-disable-next-line no-console
    console.log(
      `dev save→pending.yaml ${String(n).padStart(3)} tables: median ${median(saves).toFixed(0)} ms (p90 ${p90(saves).toFixed(0)} ms; the cycle itself ${median(cycles)} ms, the rest is the watcher's debounce) | cold generate ${cold.toFixed(0)} ms | ${(cold / median(saves)).toFixed(1)}x faster per save`,
    );
  }
  fs.rmSync(base, { recursive: true, force: true });
};

void main();
