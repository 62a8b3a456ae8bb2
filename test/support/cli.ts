import { spawnSync } from "node:child_process";
import path from "node:path";

/** The built CLI (e2e suites run `npm run build` first, through `npm test`). */
export const CLI = path.resolve(__dirname, "../../dist/src/cli.js");

/** The test process's environment without MOOSE_* variables, so a developer's shell cannot leak in. */
export const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith("MOOSE_")),
);

/** Runs the built CLI as a user would, in `cwd`, and returns its exit code and output. */
export const moose = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", env: cleanEnv });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
