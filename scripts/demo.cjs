// The README's first quick-start command: validate, preview, apply and check the demo project's
// migrations against the embedded ClickHouse engine (chdb://.moose/clickhouse).
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const cli = path.join(__dirname, "..", "dist", "src", "cli.js");
const steps = [
  ["migrate", "--validate"],
  ["generate", "migration"],
  ["migrate"],
  ["migrate", "--status"],
];
for (const args of steps) {
  process.stdout.write(`\n$ moose ${args.join(" ")}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], {
    stdio: "inherit",
    cwd: path.join(__dirname, ".."),
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
