import { beforeEach, describe, expect, it } from "vitest";
import {
  ApiHelpers,
  MaterializedView,
  OlapTable,
  Sql,
  View,
  count,
  createClickhouseParameter,
  eq,
  getValueFromParameter,
  inList,
  joinQueries,
  mapToClickHouseType,
  quoteIdentifier,
  sql,
  sum,
  toQuery,
  toQueryPreview,
  toStaticQuery,
  where,
  type Aggregated,
  type Key,
} from "../../src/sdk/index";
import { registry, resetRegistry, type InjectedSchema } from "../../src/sdk/registry";
import { col } from "../support/fixtures";

/** A column as the loader injects it (a plain record). */
const column = (...args: Parameters<typeof col>) => ({ ...col(...args) });

const schema = (...columns: ReturnType<typeof column>[]): InjectedSchema => ({
  columns,
  sourceFile: "dist/app/index.js",
  typeName: "Row",
});

interface Row {
  id: Key<string>;
  amount: number;
  total: number & Aggregated<"sum", [number]>;
  q: number & Aggregated<"quantiles(0.5, 0.9)", [number]>;
}
const rowSchema = () =>
  schema(
    column("id", { primary_key: true }),
    column("amount", { data_type: "Float64" }),
    column("total", {
      data_type: "AggregateFunction(sum, Float64)",
      annotations: [["aggregationFunction", { functionName: "sum", argumentTypes: ["Float64"] }]],
    }),
    column("q", {
      annotations: [
        [
          "aggregationFunction",
          { functionName: "quantiles(0.5, 0.9)", argumentTypes: ["Float64"] },
        ],
      ],
    }),
  );

beforeEach(() => resetRegistry());

describe("sql tag rendering (moose-lib semantics)", () => {
  it("renders a table as its identifier, versioned and database-qualified", () => {
    const plain = new OlapTable<Row>("Sales", {}, rowSchema());
    const versioned = new OlapTable<Row>("Events", { version: "1.2.0" }, rowSchema());
    const qualified = new OlapTable<Row>("Sales", { database: "other", version: "2" }, rowSchema());
    expect(toStaticQuery(sql`SELECT * FROM ${plain}`)).toBe("SELECT * FROM `Sales`");
    expect(toStaticQuery(sql`SELECT * FROM ${versioned}`)).toBe("SELECT * FROM `Events_1_2_0`");
    expect(toStaticQuery(sql`SELECT * FROM ${qualified}`)).toBe("SELECT * FROM `other`.`Sales_2`");
  });

  it("renders views (with their database) and columns; aggregate-state columns as fnMerge", () => {
    const t = new OlapTable<Row>("T", {}, rowSchema());
    const v = new View("V", { selectStatement: "SELECT 1", baseTables: [t] });
    const dv = new View("DV", { selectStatement: "SELECT 1", baseTables: [], database: "d" });
    const c = t.columns;
    expect(toStaticQuery(sql`SELECT ${c.id}, ${c.amount} FROM ${v} JOIN ${dv}`)).toBe(
      "SELECT `id`, `amount` FROM `V` JOIN `d`.`DV`",
    );
    expect(toStaticQuery(sql`SELECT ${c.total}, ${c.q} FROM ${t}`)).toBe(
      "SELECT sumMerge(`total`), quantilesMerge(0.5, 0.9)(`q`) FROM `T`",
    );
  });

  it("turns other values into parameters, and flattens nested Sql", () => {
    const t = new OlapTable<Row>("T", {}, rowSchema());
    const cond = sql`${t.columns.amount} > ${10} AND ${t.columns.id} = ${"x"}`;
    const q = sql`SELECT * FROM ${t} WHERE ${cond} LIMIT ${2.5}`;
    expect(q).toBeInstanceOf(Sql);
    expect(q.values).toEqual([10, "x", 2.5]);
    expect(q.strings).toEqual([
      "SELECT * FROM `T` WHERE `amount` > ",
      " AND `id` = ",
      " LIMIT ",
      "",
    ]);
    expect(toQuery(q)).toEqual([
      "SELECT * FROM `T` WHERE `amount` > {p0:Int} AND `id` = {p1:String} LIMIT {p2:Float}",
      { p0: 10, p1: "x", p2: 2.5 },
    ]);
    expect(toQueryPreview(q)).toBe(
      "SELECT * FROM `T` WHERE `amount` > 10 AND `id` = 'x' LIMIT 2.5",
    );
  });

  it("types parameters as moose-lib does, identifiers included", () => {
    const d = new Date("2024-01-02T03:04:05Z");
    const q = sql`SELECT ${ApiHelpers.column("c")} FROM t WHERE a = ${true} AND b = ${d}`;
    expect(toQuery(q)).toEqual([
      "SELECT {p0:Identifier} FROM t WHERE a = {p1:Bool} AND b = {p2:DateTime}",
      { p0: "c", p1: true, p2: d },
    ]);
    expect(mapToClickHouseType(3)).toBe("Int");
    expect(mapToClickHouseType("s")).toBe("String");
    expect(createClickhouseParameter(4, 1.5)).toBe("{p4:Float}");
    expect(getValueFromParameter(["Identifier", "x"])).toBe("x");
    expect(getValueFromParameter(["String", "x"])).toEqual(["String", "x"]);
    expect(quoteIdentifier("a")).toBe("`a`");
    expect(quoteIdentifier("`a`")).toBe("`a`");
  });

  it("join, raw, append, statement/fragment", () => {
    const parts = [sql`a = ${1}`, sql`b = ${2}`, sql.raw("c IS NULL")];
    const and = sql.join(parts, "AND");
    expect(toQuery(and)).toEqual(["a = {p0:Int} AND b = {p1:Int} AND c IS NULL", { p0: 1, p1: 2 }]);
    expect(toStaticQuery(sql.join([sql.raw("x"), sql.raw("y")]))).toBe("x, y");
    expect(sql.join([]).strings).toEqual([""]);
    expect(sql.join([sql`z`]).isFragment).toBe(true);
    expect(sql.statement`SELECT 1`.isFragment).toBe(false);
    expect(sql.fragment`x`.isFragment).toBe(true);
    expect(sql`x`.isFragment).toBeUndefined();
    expect(toQuery(sql`SELECT *`.append(sql` WHERE x = ${5}`))).toEqual([
      "SELECT * WHERE x = {p0:Int}",
      { p0: 5 },
    ]);
    expect(
      toStaticQuery(
        joinQueries({ values: [sql.raw("a"), sql.raw("b")], prefix: "(", suffix: ")" }),
      ),
    ).toBe("(a,b)");
    expect(() => joinQueries({ values: [] })).toThrow(TypeError);
  });

  it("toStaticQuery refuses parameters", () => {
    expect(() => toStaticQuery(sql`SELECT ${1}`)).toThrow(
      "Dynamic SQL is not allowed in the select statement in view creation.",
    );
  });

  it("query helpers build on the tag", () => {
    const t = new OlapTable<Row>("T", {}, rowSchema());
    const q = sql`SELECT ${count().as("n")}, ${sum(t.columns.amount)} FROM ${t} ${where(
      eq(t.columns.id, "a"),
      inList(t.columns.amount, [1, 2]),
    )}`;
    expect(toQuery(q)).toEqual([
      "SELECT count(*) AS `n`, sum(`amount`) FROM `T` WHERE `id` = {p0:String} AND `amount` IN ({p1:Int}, {p2:Int})",
      { p0: "a", p1: 1, p2: 2 },
    ]);
  });
});

describe("View and MaterializedView take a SELECT as text or sql", () => {
  it("render an Sql SELECT with toStaticQuery semantics and record it", () => {
    const t = new OlapTable<Row>("Sale", { version: "1.0" }, rowSchema());
    const target = new OlapTable<Row>("Tot", {}, rowSchema());
    const v = new View(
      "Big",
      sql`SELECT ${t.columns.id} FROM ${t} WHERE ${t.columns.amount} > 100`,
      [t],
    );
    const mv = new MaterializedView<Row>({
      materializedViewName: "Tot_mv",
      selectStatement: sql`SELECT ${t.columns.id} FROM ${t}`,
      selectTables: [t, v],
      targetTable: target,
    });
    expect(v.kind).toBe("View");
    expect(v.selectSql).toBe("SELECT `id` FROM `Sale_1_0` WHERE `amount` > 100");
    expect(v.sourceTables).toEqual(["`Sale_1_0`"]);
    expect(mv.selectSql).toBe("SELECT `id` FROM `Sale_1_0`");
    expect(mv.sourceTables).toEqual(["`Sale_1_0`", "`Big`"]);
    expect(mv.targetTable).toBe(target);
    const recorded = registry().resources.filter((r) => r.kind !== "OlapTable");
    expect(recorded).toMatchObject([
      { kind: "View", name: "Big", selectStatement: v.selectSql, sourceTables: ["`Sale_1_0`"] },
      {
        kind: "MaterializedView",
        name: "Tot_mv",
        selectStatement: mv.selectSql,
        targetTable: "Tot",
      },
    ]);
  });

  it("refuse a parameterized SELECT, as moose-lib does", () => {
    expect(() => new View("V", sql`SELECT * FROM t WHERE x = ${1}`, [])).toThrow(/Dynamic SQL/);
    expect(
      () =>
        new MaterializedView<Row>({
          materializedViewName: "m",
          selectStatement: sql`SELECT ${"x"}`,
          selectTables: [],
          targetTable: { name: "tt" },
        }),
    ).toThrow(/Dynamic SQL/);
  });

  it("a view in its own database is recorded with it", () => {
    new View("V", { selectStatement: "SELECT 1", baseTables: [], database: "other" });
    expect(registry().resources).toMatchObject([{ kind: "View", name: "V", database: "other" }]);
  });
});
