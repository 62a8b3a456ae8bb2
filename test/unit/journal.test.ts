import { describe, expect, it } from "vitest";
import { summarizeJournal, type JournalRow } from "../../src/runtime/journal";

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

describe("journal fork detection", () => {
  it("coming back to an earlier state (drop all, create again) is linear history", () => {
    const s = summarizeJournal([
      applied("1", "E", "S1"),
      applied("2", "S1", "E"),
      applied("3", "E", "S2"),
    ]);
    expect(s.applied.map((a) => a.id)).toEqual(["1", "2", "3"]);
  });
  it("two files applied on the same parent as siblings are a fork", () => {
    expect(() => summarizeJournal([applied("1", "E", "S1"), applied("2", "E", "S2")])).toThrow(
      /both applied to the same parent state/,
    );
  });
});
