import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  idTime,
  nextMigrationId,
  serializeMigrationFile,
  type MigrationFile,
} from "../../src/core/migration-file";
import { col } from "../support/fixtures";

const NOW = new Date("2026-12-02T10:15:00.123Z");

describe("next migration id", () => {
  it("is now when the last committed id is older", () => {
    expect(nextMigrationId("20261201_000000_000_x", NOW, "add").id).toBe("20261202_101500_123_add");
    expect(nextMigrationId(undefined, NOW, "add").id).toBe("20261202_101500_123_add");
  });

  it("is 1 ms after a committed id from the future (clock skew), computed at once", () => {
    const r = nextMigrationId("20271202_101500_999_migration", NOW, "migration");
    expect(r.id).toBe("20271202_101501_000_migration");
    expect(r.createdAt.toISOString()).toBe("2027-12-02T10:15:01.000Z");
  });

  it("steps past an id written in the same millisecond", () => {
    expect(nextMigrationId("20261202_101500_123_migration", NOW, "migration").id).toBe(
      "20261202_101500_124_migration",
    );
  });

  it("reads the time of an id, and nothing from an id without one", () => {
    expect(idTime("20261202_101500_123_x")?.toISOString()).toBe("2026-12-02T10:15:00.123Z");
    expect(idTime("hand_made")).toBeUndefined();
    expect(nextMigrationId("zz_hand_made", NOW, "m").id).toBe("20261202_101500_123_m");
  });
});

describe("written YAML", () => {
  it("has no anchors or aliases when deltas share objects", () => {
    const columns = [col("id", { primary_key: true }), col("name")];
    const file = {
      id: "20261202_101500_123_x",
      description: "x",
      parent_state_hash: "0".repeat(64),
      deltas: [
        { type: "AddTableColumn", table_id: "local_A", column: columns[1], after_column: "id" },
        { type: "AddTableColumn", table_id: "local_B", column: columns[1], after_column: "id" },
      ],
      created_at: NOW.toISOString(),
    } as unknown as MigrationFile;
    const text = serializeMigrationFile(file);
    expect(text).not.toMatch(/[&*]a\d/);
    const back = parse(text) as { deltas: { column: { name: string } }[] };
    expect(back.deltas.map((d) => d.column.name)).toEqual(["name", "name"]);
  });
});
