import { describe, expect, it } from "vitest";
import { lossChecks } from "../../src/core/data-safety";
import type { Delta } from "../../src/core/deltas";
import { planRisks, withLiveCounts } from "../../src/core/risks";
import { columnLosses, scalarWidens } from "../../src/core/type-narrowing";
import { col, mapOf, table } from "../support/fixtures";

describe("which scalar type changes keep every value", () => {
  it.each([
    ["Int8", "Int16", true],
    ["Int32", "Int64", true],
    ["UInt32", "Int64", true],
    ["UInt8", "UInt16", true],
    ["Int32", "Float64", true],
    ["Float32", "Float64", true],
    ["Date16", "Date", true],
    ["DateTime", "DateTime(3)", true],
    ["Int64", "String", true],
    ["Decimal(10, 2)", "Decimal(12, 3)", true],
    ["Int64", "Int8", false],
    ["Int64", "Int32", false],
    ["Int32", "UInt32", false],
    ["UInt64", "Int64", false],
    ["Float64", "Int32", false],
    ["Int64", "Float64", false],
    ["Float64", "Float32", false],
    ["Decimal(10, 2)", "Decimal(10, 3)", false],
    ["DateTime(3)", "DateTime", false],
    ["Date", "Date16", false],
    ["String", "Int64", false],
  ])("%s → %s widens: %s", (from, to, widens) => {
    // Moose's names (`Date` = Date32) render to ClickHouse's before comparing.
    const losses = columnLosses(col("c", { data_type: from }), col("c", { data_type: to }), false);
    expect(losses.length === 0).toBe(widens);
    if (!widens) expect(losses[0]!.kind).toBe("values");
  });

  it("compares ClickHouse names", () => {
    expect(scalarWidens("Int16", "Int32")).toBe(true);
    expect(scalarWidens("Int32", "Int16")).toBe(false);
  });
});

describe("losses of a column change", () => {
  it("Nullable → required without a default counts NULLs; with one, NULLs become the default", () => {
    const before = col("m", { data_type: "Int64", required: false });
    const after = col("m", { data_type: "Int64" });
    expect(columnLosses(before, after, false)).toMatchObject([
      { kind: "nulls", condition: "isNull(`m`)", from: "Nullable(Int64)", to: "Int64" },
    ]);
    expect(columnLosses(before, after, true)).toEqual([]);
  });

  it("a narrowing counts with accurateCastOrNull and, for numbers, a changed value", () => {
    const [l] = columnLosses(
      col("n", { data_type: "Int64" }),
      col("n", { data_type: "Int8" }),
      false,
    );
    expect(l!.condition).toBe(
      "(NOT isNull(`n`) AND (isNull(accurateCastOrNull(`n`, 'Int8')) OR accurateCastOrNull(`n`, 'Int8') != `n`))",
    );
    expect(l!.reason).toContain("[-2^7, 2^7)");
  });

  it("Float64 → Float32 counts only values outside Float32's range", () => {
    const [l] = columnLosses(
      col("f", { data_type: "Float64" }),
      col("f", { data_type: "Float32" }),
      false,
    );
    expect(l!.condition).toContain("3.4028234663852886e38");
  });

  it("an enum losing members counts the values that are not members any more", () => {
    const e = (...names: string[]) => ({
      name: "E",
      values: names.map((n, i) => ({ name: n, value: { Int: i + 1 } })),
    });
    expect(
      columnLosses(col("e", { data_type: e("a", "b") }), col("e", { data_type: e("a") }), false),
    ).toMatchObject([{ condition: "(NOT isNull(`e`) AND toString(`e`) NOT IN ('a'))" }]);
    expect(
      columnLosses(col("e", { data_type: e("a") }), col("e", { data_type: e("a", "b") }), false),
    ).toEqual([]);
  });
});

describe("one counting query per table", () => {
  const base = mapOf(
    table("T", [
      col("id"),
      col("a", { data_type: "Int64" }),
      col("b", { data_type: "Float64" }),
      col("c", { data_type: "Int32" }),
    ]),
  );
  const modify = (name: string, from: string, to: string): Delta => ({
    type: "ModifyTableColumn",
    table_id: "db_T",
    before_column: col(name, { data_type: from }),
    after_column: col(name, { data_type: to }),
  });
  const deltas = [
    modify("a", "Int64", "Int8"),
    modify("b", "Float64", "Int32"),
    modify("c", "Int32", "Int64"),
  ];

  it("groups every narrowing of a table in one SELECT; a widening is not counted", () => {
    const checks = lossChecks(deltas, base);
    expect(checks).toHaveLength(1);
    expect(checks[0]!.losses.map((l) => l.column)).toEqual(["a", "b"]);
    expect(checks[0]!.sql).toMatch(
      /^SELECT count\(\) AS total, countIf\(.*\) AS n0, .* AS e1 FROM `db`\.`T`$/,
    );
  });

  it("a column the file adds first has no rows to lose; skipped deltas are not counted", () => {
    expect(lossChecks(deltas, base, (i) => i !== 0)[0]!.losses.map((l) => l.column)).toEqual(["b"]);
    const fresh = mapOf(table("T", [col("id")]));
    expect(lossChecks(deltas, fresh)).toEqual([]);
  });

  it("risks: a narrowing is caution, danger once live values do not fit", () => {
    const risks = planRisks(deltas, 0, base);
    expect(risks.map((r) => r.level)).toEqual(["caution", "caution", "safe"]);
    const counted = [
      {
        ...lossChecks(deltas, base)[0]!.losses[0]!,
        table: "T",
        physical: "`db`.`T`",
        count: 2,
        example: "1000",
      },
    ];
    const live = withLiveCounts(risks, counted, new Map());
    expect(live[0]!.level).toBe("danger");
    expect(live[0]!.reasons[0]).toContain("2 row(s) hold values that do not fit (e.g. 1000)");
    expect(live[1]!.level).toBe("caution");
  });

  it("a dropped column is danger with the table's rows", () => {
    const drop: Delta = { type: "DropTableColumn", table_id: "db_T", column_name: "a" };
    const [r] = withLiveCounts(planRisks([drop], 0, base), [], new Map([["db_T", 5]]));
    expect(r).toMatchObject({ level: "danger", rows: 5 });
    expect(r!.reasons[0]).toBe("drops column a and its data (5 row(s) now)");
  });
});
