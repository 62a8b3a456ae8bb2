import { describe, expect, it } from "vitest";
import { connectClickHouse } from "../../src/adapters/clickhouse";
import { migrationStatus } from "../../src/commands/migrate";
import { renderDelta } from "../../src/core/render-sql";
import { emptyInfraMap } from "../../src/core/infra-map";
import { Journal } from "../../src/runtime/journal";
import { readMigrations } from "../../src/runtime/migration-store";
import { makeProject } from "../support/golden";
import { ENGINE_DIR, gen, mig, opts, recorder } from "../support/run";

const MODEL = `import { OlapTable, Key } from "@514labs/moose-lib";
export interface A { id: Key<string>; }
export interface B { id: Key<string>; v: string; }
export const TA = new OlapTable<A>("A", { orderByFields: ["id"] });
export const TB = new OlapTable<B>("B", { orderByFields: ["id"] });
`;

describe("resume: a file interrupted half-way is finished by the next migrate", () => {
  it("skips journaled operations and runs only the rest", async () => {
    const db = "resume_db";
    const root = makeProject({ dbName: db, model: MODEL });
    await gen(root);
    const [stored] = readMigrations(root);
    expect(stored!.file.deltas.map((d) => d.type)).toEqual(["CreateTable", "CreateTable"]);

    // A process that died after delta 1: its DDL ran and was journaled, delta 2 never ran.
    const ch = connectClickHouse({ kind: "chdb", path: ENGINE_DIR, database: db, display: "" });
    await ch.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
    const journal = new Journal(ch, db, "_moose_migrations");
    await journal.ensure();
    const base = {
      migration_id: stored!.file.id,
      parent_state_hash: stored!.file.parent_state_hash,
      file_checksum: stored!.checksum,
      state_hash: "",
    };
    await journal.append({ ...base, event: "started", op_index: -1, detail: "" });
    for (const s of renderDelta(stored!.file.deltas[0]!, emptyInfraMap(db)))
      await ch.command(s.sql);
    await journal.append({ ...base, event: "op_done", op_index: 0, detail: "" });
    await ch.close();

    const before = await migrationStatus(opts(root));
    expect(before.incomplete).toEqual([stored!.file.id]);

    const rec = recorder();
    const result = await mig(root, rec);
    expect(result.applied).toEqual([stored!.file.id]);
    const creates = rec.commands.filter(
      (s) => s.startsWith("CREATE TABLE IF NOT EXISTS") && !s.includes("_moose"),
    );
    expect(creates).toHaveLength(1);
    expect(creates[0]).toContain("`resume_db`.`B`");

    const after = await migrationStatus(opts(root));
    expect(after).toMatchObject({ pending: [], incomplete: [], drift: [], unmigrated: [] });
    expect((await gen(root, { save: false })).status).toBe("no-changes");
  });
});
