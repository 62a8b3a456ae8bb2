import { describe, expect, it } from "vitest";
import { alreadyPresent, foldFiles } from "../../src/core/fold";
import { olapStateHash } from "../../src/core/hash";
import { planMigration, type PlanInput } from "../../src/core/plan";
import { col, mapOf, table } from "../support/fixtures";

const input = (over: Partial<PlanInput>): PlanInput => ({
  committed: mapOf(),
  base: mapOf(),
  code: mapOf(),
  diff: {},
  answers: {},
  autoBackfill: true,
  approvedAt: "2026-12-02T00:00:00.000Z",
  ...over,
});

const BEFORE = table("T", [col("id"), col("user_id"), col("obsolete", { data_type: "Int64" })]);
const AFTER = table("T", [col("id"), col("uid")]);

describe("the one planner", () => {
  it("lists every decision at once, each with a stable id", () => {
    const committed = mapOf(BEFORE);
    const plan = planMigration(input({ committed, base: committed, code: mapOf(AFTER) }));
    expect(plan.decisions.map((d) => d.id).sort()).toEqual([
      "drop-column:T.obsolete",
      "drop-column:T.user_id",
      "rename:T.user_id->uid",
    ]);
    const drop = plan.decisions.find((d) => d.id === "drop-column:T.obsolete")!;
    expect(drop).toMatchObject({
      kind: "destructive",
      sql: ["ALTER TABLE `db`.`T` DROP COLUMN IF EXISTS `obsolete`"],
    });
  });

  it("answers apply one by one: this rename yes, that drop no", () => {
    const committed = mapOf(BEFORE);
    const base = { committed, base: committed, code: mapOf(AFTER) };
    const renamed = planMigration(
      input({
        ...base,
        answers: { "rename:T.user_id->uid": true, "drop-column:T.obsolete": true },
      }),
    );
    expect(renamed.changes.map((d) => d.type)).toEqual(["DropTableColumn", "RenameTableColumn"]);
    expect(renamed.refused).toEqual([]);
    const refused = planMigration(
      input({
        ...base,
        answers: { "rename:T.user_id->uid": true, "drop-column:T.obsolete": false },
      }),
    );
    expect(refused.refused.map((d) => d.id)).toEqual(["drop-column:T.obsolete"]);
  });

  it("an approved table drop records its policy, however the approval came", () => {
    const committed = mapOf(BEFORE);
    const plan = planMigration(
      input({ committed, base: committed, code: mapOf(), answers: { "drop-table:T": true } }),
    );
    expect(plan.changes).toEqual([
      expect.objectContaining({
        type: "DropTable",
        policy: {
          description: "User confirmed: DROP TABLE 'T'",
          approved_at: "2026-12-02T00:00:00.000Z",
        },
      }),
    ]);
  });

  it("drift is recorded ahead of the answer: the file folds on the committed files and applies as the answer alone", () => {
    const committed = mapOf(table("T", [col("id"), col("name")]));
    // By hand: `extra` added, `name` retyped.
    const live = mapOf(table("T", [col("id"), col("name", { data_type: "Int64" }), col("extra")]));
    const plan = planMigration(
      input({ committed, base: live, code: committed, answers: { "drop-column:T.extra": true } }),
    );
    expect(plan.records.map((d) => d.type)).toEqual(["ModifyTableColumn", "AddTableColumn"]);
    expect(plan.changes.map((d) => d.type)).toEqual(["DropTableColumn", "ModifyTableColumn"]);
    // The file starts where the committed files end; migrate accepts the live state as that
    // plus the records.
    expect(plan.parentStateHash).toBe(olapStateHash(committed));
    const folded = foldFiles([{ id: "f", deltas: plan.deltas }], "db", committed);
    expect(olapStateHash(folded)).toBe(olapStateHash(committed));
    // Against the live state, every record is already in effect; every answer is not.
    expect(plan.records.every((d) => alreadyPresent(live, d))).toBe(true);
    expect(plan.changes.some((d) => alreadyPresent(live, d))).toBe(false);
  });

  it("no changes, no records: a file is never only records", () => {
    const committed = mapOf(table("T", [col("id")]));
    const live = mapOf(table("T", [col("id"), col("extra")]));
    // The drop is blocked by lifecycle: nothing to write.
    const code = mapOf(table("T", [col("id")], { life_cycle: "DELETION_PROTECTED" }));
    const plan = planMigration(input({ committed, base: live, code }));
    expect(plan.deltas).toEqual([]);
    expect(plan.blocked).toHaveLength(1);
  });

  it("ignore_operations apply to the plan (a TTL change is not a change)", () => {
    const committed = mapOf(
      table("T", [col("id"), col("at", { data_type: "DateTime" })], {
        table_ttl_setting: "at + INTERVAL 1 DAY",
      }),
    );
    const code = mapOf(
      table("T", [col("id"), col("at", { data_type: "DateTime" })], {
        table_ttl_setting: "at + INTERVAL 9 DAY",
      }),
    );
    expect(planMigration(input({ committed, base: committed, code })).changes).toHaveLength(1);
    expect(
      planMigration(
        input({ committed, base: committed, code, diff: { ignore: ["ModifyTableTtl"] } }),
      ).changes,
    ).toEqual([]);
  });

  it("a recreate says why, and names the columns whose data it does not keep", () => {
    const before = table("M", [col("a"), col("b"), col("flush")], { order_by: ["a", "b"] });
    const after = table("M", [col("a"), col("b")], { order_by: ["a"] });
    const plan = planMigration(
      input({ committed: mapOf(before), base: mapOf(before), code: mapOf(after) }),
    );
    expect(plan.decisions).toMatchObject([
      {
        id: "recreate:M",
        description: expect.stringMatching(
          /ORDER BY changed.*rows are copied.*flush are not in the new schema and their data is lost/,
        ),
      },
    ]);
  });
});
