import { describe, expect, it } from "vitest";
import { isRepeatableStatement } from "../../src/core/repeatable";
import { summarizeJournal, type JournalRow } from "../../src/runtime/journal";
import { batchKeys } from "../../src/runtime/journal-batch";
import { parseResolutions } from "../../src/commands/resolve-steps";
import { emptyInfraMap } from "../../src/core/infra-map";

describe("isRepeatableStatement: only provably repeatable statements skip the started marker", () => {
  it.each([
    ["SELECT count() FROM t", true],
    ["CREATE TABLE IF NOT EXISTS t (id String) ENGINE = MergeTree ORDER BY id", true],
    ["DROP TABLE IF EXISTS t", true],
    ["ALTER TABLE t ADD COLUMN IF NOT EXISTS c String, DROP INDEX IF EXISTS i", true],
    ["INSERT INTO t SELECT * FROM s", false],
    ["ALTER TABLE t UPDATE v = 1 WHERE 1", false],
    ["ALTER TABLE t DELETE WHERE id = 'x'", false],
    ["CREATE TABLE IF NOT EXISTS t ENGINE = MergeTree ORDER BY id AS SELECT * FROM s", false],
    ["CREATE TABLE t (id String) ENGINE = MergeTree ORDER BY id", false],
    ["ALTER TABLE t ADD COLUMN c String", false],
    ["ALTER TABLE t DROP PARTITION 1", false],
    ["OPTIMIZE TABLE t FINAL", false],
    ["SELECT 'INSERT' /* not a write */", true],
  ])("%s → %s", (sql, expected) => expect(isRepeatableStatement(sql)).toBe(expected));
});

const row = (event: JournalRow["event"], op_index: number, detail = ""): JournalRow => ({
  migration_id: "f",
  event,
  op_index,
  parent_state_hash: "p",
  state_hash: "",
  file_checksum: "c",
  tool_version: "t",
  who: "me@host",
  at: "2026-01-01 00:00:00.000",
  detail,
});

describe("journal summary of started and resolved statements", () => {
  it("started without outcome is in flight; done / rerun set where it resumes; op_done clears", () => {
    const s = (rows: JournalRow[]) => summarizeJournal(rows).incomplete.get("f")!;
    const started = [row("started", -1), row("op_started", 2, "statement 2/3: INSERT …")];
    expect(s(started).inFlight.get(2)?.statement).toBe(1);
    const done = s([...started, row("op_resolved", 2, "done 1 (--resolve)")]);
    expect([done.inFlight.size, done.resumeAt.get(2)]).toEqual([0, 2]);
    const rerun = s([...started, row("op_resolved", 2, "rerun 1 (--resolve)")]);
    expect(rerun.resumeAt.get(2)).toBe(1);
    const finished = s([...started, row("op_done", 2)]);
    expect([finished.inFlight.size, finished.opsDone.has(2)]).toEqual([0, true]);
  });
});

describe("batch keys and --resolve parsing", () => {
  it("data steps, type changes and views are journaled alone", () => {
    const map = emptyInfraMap("db");
    expect(batchKeys({ type: "RawSql", sql: ["SELECT 1"], description: "" }, map)).toBeUndefined();
    expect(
      batchKeys({ type: "DropTableColumn", table_id: "db_T", column_name: "c" }, map),
    ).toHaveLength(1);
  });

  it("pairs each <file>:<step> with done or rerun", () => {
    expect(parseResolutions(["a:3", "done", "b.yaml:1", "rerun"])).toEqual([
      { fileId: "a", step: 3, action: "done" },
      { fileId: "b", step: 1, action: "rerun" },
    ]);
    expect(() => parseResolutions(["a:3", "maybe"])).toThrow(/done or rerun/);
    expect(() => parseResolutions(["a", "done"])).toThrow(/<file-id>:<step>/);
  });
});
