/* Prints introspection time and query count for growing schemas on the embedded engine. */
import os from "node:os";
import path from "node:path";
import { connectClickHouse, countingPort } from "../src/adapters/clickhouse";
import { introspectClickHouse } from "../src/introspect/clickhouse";

const main = async () => {
  const dir = path.join(os.tmpdir(), `moose-bench-${process.pid}`);
  for (const n of [1, 100, 500]) {
    const db = `bench_${n}`;
    const ch = countingPort(
      connectClickHouse({ kind: "chdb", path: dir, database: db, display: "" }),
    );
    await ch.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
    for (let i = 0; i < n; i++)
      await ch.command(
        `CREATE TABLE IF NOT EXISTS ${db}.t${i} (id String, v Nullable(Int64), ts DateTime('UTC')) ENGINE = MergeTree ORDER BY (id, ts)`,
      );
    ch.counts.query = 0;
    const t0 = process.hrtime.bigint();
    const live = await introspectClickHouse(ch, [db], db);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // eslint-disable-next-line no-console
    console.log(
      `introspect ${String(live.tables.size).padStart(4)} tables: ${ms.toFixed(1)} ms, ${ch.counts.query} queries`,
    );
    await ch.close();
  }
};
void main();
