import { describe, expect, it } from "vitest";
import { checkChain, type ChainFile } from "../../src/core/chain";
import type { Delta } from "../../src/core/deltas";
import { olapStateHash } from "../../src/core/hash";
import { emptyInfraMap } from "../../src/core/infra-map";
import { summarizeJournal, type JournalRow } from "../../src/runtime/journal";
import { col, mapOf, table } from "../support/fixtures";

const applied = (id: string, parent: string, state: string): JournalRow => ({
  migration_id: id,
  event: "applied",
  op_index: 1,
  parent_state_hash: parent,
  state_hash: state,
  file_checksum: "",
  tool_version: "",
  who: "",
  at: "",
  detail: "",
});

const E = olapStateHash(emptyInfraMap("db"));
const T = table("T", [col("id")]);
const U = table("U", [col("id")]);
const S1 = olapStateHash(mapOf(T));
const file = (id: string, parent: string, ...deltas: Delta[]): ChainFile => ({
  id,
  parent_state_hash: parent,
  deltas,
});

describe("journal progress", () => {
  it("applied files in journal order", () => {
    const s = summarizeJournal([applied("1", "E", "S1"), applied("2", "S1", "E")]);
    expect(s.applied.map((a) => a.id)).toEqual(["1", "2"]);
  });
});

describe("one history: forks found on the files (validate, generate, applied files)", () => {
  it("coming back to an earlier state (drop all, create again) is linear history", () => {
    const r = checkChain(
      [
        file("1", E, { type: "CreateTable", table: T }),
        file("2", S1, { type: "DropTable", table: T }),
        file("3", E, { type: "CreateTable", table: U }),
      ],
      "db",
    );
    expect(r.conflicts).toEqual([]);
  });

  it("two files on the same parent as siblings are a fork", () => {
    const r = checkChain(
      [
        file("1", E, { type: "CreateTable", table: T }),
        file("2", E, { type: "CreateTable", table: U }),
      ],
      "db",
    );
    expect(r.conflicts).toEqual([{ parent: E, files: ["1", "2"], tables: ["db_T", "db_U"] }]);
  });

  it("a file answering a database that drifted back to an earlier state (its records lead there) is not a fork", () => {
    const r = checkChain(
      [
        file("1", E, { type: "CreateTable", table: T }),
        // T was dropped by hand: the file records the drop, then creates T again.
        file("2", E, { type: "DropTable", table: T }, { type: "CreateTable", table: T }),
      ],
      "db",
    );
    expect(r.conflicts).toEqual([]);
    expect(Object.keys(r.state.tables)).toEqual(["db_T"]);
  });
});
