import { describe, expect, it } from "vitest";
import { connectClickHouse, countingPort } from "../../src/adapters/clickhouse";
import { introspectClickHouse } from "../../src/introspect/clickhouse";
import { ENGINE_DIR } from "../support/run";

const createTables = async (db: string, n: number) => {
  const ch = connectClickHouse({ kind: "chdb", path: ENGINE_DIR, database: db, display: "" });
  await ch.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  for (let i = 0; i < n; i++) {
    await ch.command(
      `CREATE TABLE ${db}.t${i} (id String, n Nullable(Int32), ts DateTime('UTC')) ENGINE = MergeTree ORDER BY (id, ts)`,
    );
  }
  return ch;
};

describe("introspection reads system tables a constant number of times", () => {
  it("issues the same number of queries for 1 table and for 500", async () => {
    const small = countingPort(await createTables("q_small", 1));
    const large = countingPort(await createTables("q_large", 500));
    const a = await introspectClickHouse(small, ["q_small"], "q_small");
    const b = await introspectClickHouse(large, ["q_large"], "q_large");
    expect(a.tables.size).toBe(1);
    expect(b.tables.size).toBe(500);
    expect(b.tables.get("q_large.t499")!.columns.map((c) => c.name)).toEqual(["id", "n", "ts"]);
    expect(small.counts.query).toBe(3);
    expect(large.counts.query).toBe(small.counts.query);
    await small.close();
    await large.close();
  }, 240_000);
});
