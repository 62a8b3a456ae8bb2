import { describe, expect, it } from "vitest";
import { reconcile } from "../../src/core/reconcile";
import { col, mapOf, table } from "../support/fixtures";

describe("drift names objects as the user does", () => {
  it("`Bar` in the default database, `analytics.Bar` elsewhere; the internal id stays in tableId", () => {
    const bar = table("Bar", [col("id", { primary_key: true })], { order_by: ["id"] });
    const other = { ...table("Bar", [col("id", { primary_key: true })]), database: "analytics" };
    const applied = mapOf(bar);
    applied.tables.analytics_Bar = other;
    const live = {
      tables: new Map([["db.Bar", { ...bar, columns: [...bar.columns, col("extra")] }]]),
      views: new Map(),
      materializedViews: new Map(),
    };
    const { drift } = reconcile(applied, live, applied);
    const byName = Object.fromEntries(drift.map((d) => [d.name, d]));
    expect(Object.keys(byName).sort()).toEqual(["Bar", "analytics.Bar"]);
    expect(byName.Bar!.kind).toBe("changed");
    expect(byName.Bar!.tableId).not.toBe("Bar");
    expect(byName["analytics.Bar"]!.kind).toBe("missing");
  });
});
