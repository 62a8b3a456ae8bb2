import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadModels } from "../../src/model/load-project";

const FULL_SDK = path.resolve(__dirname, "../fixtures/projects/full-sdk");

describe("resources Moose creates implicitly are planned as Moose plans them", () => {
  const { map, warnings } = loadModels({
    root: FULL_SDK,
    sourceDir: "app",
    defaultDatabase: "local",
  });

  it("an IngestPipeline with deadLetterQueue: true gets a <name>DeadLetterQueue topic with the dead-letter columns", () => {
    const topics = Object.values(map.topics).map((t) => t.name);
    expect(topics.sort()).toEqual(["Bar", "Foo", "FooDeadLetterQueue", "FooDeadLetters"].sort());
    const dlq = Object.values(map.topics).find((t) => t.name === "FooDeadLetterQueue")!;
    expect(dlq.columns.map((c) => c.name)).toEqual([
      "originalRecord",
      "errorMessage",
      "errorType",
      "failedAt",
      "source",
    ]);
    expect(dlq.partition_count).toBe(1);
  });

  it("table: false plans no table; an MV's target and unexported tables are planned", () => {
    const tables = Object.values(map.tables).map((t) => t.name);
    expect(tables.sort()).toEqual(["Audit", "Bar", "BarAggregated"].sort());
  });

  it("a View and an MV built with the sql tag render table and column references", () => {
    const view = Object.values(map.views).find((v) => v.name === "RecentBars")!;
    expect(JSON.stringify(view)).toContain("`primaryKey`");
    expect(JSON.stringify(view)).toContain("FROM `Bar`");
    const mv = Object.values(map.materialized_views).find((v) => v.name === "BarAggregated_MV")!;
    expect(JSON.stringify(mv)).toContain("count(`primaryKey`)");
  });

  it("the API handler's type error is a warning with its place, not an error", () => {
    expect(
      warnings.some((w) => w.kind === "type-error" && w.where?.startsWith("app/apis/bar.ts:")),
    ).toBe(true);
  });
});
