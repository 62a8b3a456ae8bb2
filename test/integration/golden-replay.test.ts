import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { goldenMigrationFiles, goldenRead, makeProject } from "../support/golden";
import { ENGINE_URL, mig, recorder } from "../support/run";

/** DDL compared modulo our extra idempotency guards, trailing semicolons and whitespace. */
const normalizeSql = (sql: string) =>
  sql
    .replace(/\s+/g, " ")
    .replace(/ IF NOT EXISTS| IF EXISTS/g, "")
    .replace(/;\s*$/, "")
    .replace(/\( /g, "(")
    .replace(/ \)/g, ")")
    .trim();

/**
 * Where we deliberately differ: the reference applies a RecreateTable as DROP + CREATE (the rows
 * are lost); we create the new table beside the old one, copy the rows and swap (DESIGN §4.2).
 * Each `DROP TABLE t` + `CREATE TABLE t (…)` pair of the reference becomes that sequence.
 */
const keepingRows = (reference: string[]): string[] => {
  const out: string[] = [];
  for (let i = 0; i < reference.length; i++) {
    const drop = /^DROP TABLE (`[^`]+`)\.(`[^`]+`)$/.exec(reference[i]!);
    const create = reference[i + 1];
    if (!drop || !create?.startsWith(`CREATE TABLE ${drop[1]}.${drop[2]} (`)) {
      out.push(reference[i]!);
      continue;
    }
    const table = `${drop[1]}.${drop[2]}`;
    const temp = `${drop[1]}.${drop[2]!.slice(0, -1)}__moose_recreate\``;
    const body = create.slice(create.indexOf("("), create.indexOf(") ENGINE"));
    const columns = [...body.matchAll(/(?:\(|, )(`[^`]+`) /g)].map((m) => m[1]!);
    out.push(
      `${create.replace(table, temp)} COMMENT '[MOOSE_RECREATE:DO_NOT_MODIFY] copy of a table being recreated'`,
      `INSERT INTO ${temp} (${columns.join(",")}) SETTINGS max_partitions_per_insert_block = 0 SELECT ${columns.join(", ")} FROM ${table}`,
      `EXCHANGE TABLES ${table} AND ${temp}`,
      `DROP TABLE ${temp}`,
      `ALTER TABLE ${table} MODIFY COMMENT ''`,
    );
    i++;
  }
  return out;
};

// Own file: it needs database `local` (the files' table ids name it) in a fresh embedded engine.
describe("golden x0: replaying the chain on a fresh ClickHouse", () => {
  it("replays every file of the chain on a fresh database with the DDL the real CLI ran (x0)", async () => {
    // The code at the end of the chain, still FULLY_MANAGED: our migrate re-checks lifecycle rules
    // and (unlike the reference) refuses to replay a column drop on a table the code now protects.
    const finalModel = `import { OlapTable, Key, Int32 } from "@514labs/moose-lib";
export interface User { id: Key<string>; fullName: string; age: Int32; createdAt: Date; country: string; }
export const UserTable = new OlapTable<User>("User", { orderByFields: ["id", "createdAt"] });
`;
    const root = makeProject({ dbName: "local_replay", model: finalModel });
    for (const f of goldenMigrationFiles("11-drop-table")) {
      const text = goldenRead("11-drop-table", `migrations/${f}`);
      fs.writeFileSync(path.join(root, "migrations", f), text);
    }
    // The reference replay ran against database `local`; compare with our database name swapped in.
    const rec = recorder();
    const fileDb = "local";
    const config = fs
      .readFileSync(path.join(root, "moose.config.toml"), "utf8")
      .replace("local_replay", fileDb);
    fs.writeFileSync(path.join(root, "moose.config.toml"), config);
    const other = makeProject({ dbName: fileDb });
    expect(other).not.toBe(root);
    const result = await mig(root, rec, { clickhouseUrl: `${ENGINE_URL}?database=local` });
    expect(result.applied).toHaveLength(9);
    const ours = rec.commands
      .filter((s) => !/_moose_migrations|CREATE DATABASE/.test(s))
      .map(normalizeSql);
    const reference = goldenRead("x0-replay-on-fresh-clickhouse", "migrate.sql.txt")
      .split("\n")
      .filter(
        (l) => l.startsWith("  ") && !/_MOOSE_STATE|^\s*SET |^\s*\/ping|CREATE DATABASE/.test(l),
      )
      .map(normalizeSql);
    expect(ours).toEqual(keepingRows(reference));
    expect(ours.filter((sql) => sql.startsWith("EXCHANGE"))).toHaveLength(1);
  });
});
