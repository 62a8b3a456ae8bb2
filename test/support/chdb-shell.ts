import { spawnSync } from "node:child_process";
import path from "node:path";

const CHDB = path.resolve(__dirname, "../../node_modules/chdb");

/**
 * Runs statements on an embedded engine directory from a separate process, as a person at a
 * ClickHouse prompt would between two CLI runs (chDB binds one directory per process, so the
 * test process itself never opens the directory the CLI uses). Returns the last statement's
 * rows (JSONEachRow).
 */
export const chdbShell = (dir: string, ...statements: string[]): Record<string, unknown>[] => {
  const script = `
const { Session } = require(${JSON.stringify(CHDB)});
const s = new Session(${JSON.stringify(dir)});
const qs = JSON.parse(process.argv[1]);
let out = "";
for (const q of qs) out = s.query(q, "JSONEachRow").toString();
process.stdout.write(out);
`;
  const r = spawnSync(process.execPath, ["-e", script, JSON.stringify(statements)], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`chdb shell failed: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
};
