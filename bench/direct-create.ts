/*
 * The comparison bench's baseline for `moose migrate` of one big file: the same CREATE TABLE
 * statements sent straight through @clickhouse/client on the embedded engine, connected the way
 * src/adapters/clickhouse.ts connects (createClient over chdb's connection), with nothing else:
 * no project, no models, no journal, no lock, no per-statement settings.
 *
 *   node dist/bench/direct-create.js <chdb data dir> <statements.json>
 *
 * statements.json: `{ "database": "local", "statements": ["CREATE TABLE …", …] }`. Prints one
 * JSON line `{ "ms": … }`: from loading the client (and the engine) to the last CREATE done.
 */
import fs from "node:fs";

const main = async () => {
  const [dir, file] = process.argv.slice(2);
  if (!dir || !file) throw new Error("usage: direct-create.js <chdb dir> <statements.json>");
  const { database, statements } = JSON.parse(fs.readFileSync(file, "utf8")) as {
    database: string;
    statements: string[];
  };
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vendor = require("@clickhouse/client") as typeof import("@clickhouse/client");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const chdb = require("chdb/connection") as { createChdbConnection(o: { path: string }): unknown };
  const client = vendor.createClient({
    connection: chdb.createChdbConnection({ path: dir }),
  } as Parameters<typeof vendor.createClient>[0]);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`` });
  for (const query of statements) await client.command({ query });
  const ms = performance.now() - t0;
  await client.close();
  process.stdout.write(`${JSON.stringify({ ms, statements: statements.length })}\n`);
};

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
