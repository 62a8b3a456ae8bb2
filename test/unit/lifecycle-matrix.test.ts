import { describe, expect, it } from "vitest";
import { diffMaps } from "../../src/core/diff";
import type { DeltaType } from "../../src/core/deltas";
import { deltaTableIdIn } from "../../src/core/deltas";
import type { InfraMap, LifeCycle, MaterializedView, Table } from "../../src/core/infra-map";
import { filterByLifecycle, lifecycleViolation } from "../../src/core/lifecycle";
import { applyRenames, findRenameCandidates } from "../../src/core/renames";
import { col, mapOf, table } from "../support/fixtures";

const LIFECYCLES: LifeCycle[] = ["FULLY_MANAGED", "DELETION_PROTECTED", "EXTERNALLY_MANAGED"];

const base = (lc: LifeCycle): Table =>
  table("t", [col("id"), col("a"), col("b", { data_type: "Int64" })], {
    life_cycle: lc,
    table_settings: { merge_with_ttl_timeout: "3600" },
    table_ttl_setting: "toDateTime(0) + INTERVAL 90 DAY",
    indexes: [{ name: "i", expression: "a", type: "minmax", arguments: [], granularity: 1 }],
    projections: [{ name: "p", body: "SELECT * ORDER BY b" }],
    sample_by: undefined,
  });

type Change = { name: string; edit: (t: Table) => Table | undefined };

/** Each change kind of moose-behaviour §4, applied to the code's version of table `t`. */
const TABLE_CHANGES: Change[] = [
  { name: "column added", edit: (t) => ({ ...t, columns: [...t.columns, col("c")] }) },
  {
    name: "column removed",
    edit: (t) => ({ ...t, columns: t.columns.filter((c) => c.name !== "b") }),
  },
  {
    name: "column modified",
    edit: (t) => ({
      ...t,
      columns: t.columns.map((c) => (c.name === "b" ? { ...c, data_type: "Int32" } : c)),
    }),
  },
  {
    name: "column renamed",
    edit: (t) => ({
      ...t,
      columns: t.columns.map((c) => (c.name === "b" ? { ...c, name: "b2" } : c)),
    }),
  },
  { name: "ORDER BY changed (recreate)", edit: (t) => ({ ...t, order_by: ["id", "a"] }) },
  {
    name: "engine changed (recreate)",
    edit: (t) => ({ ...t, engine: { ReplacingMergeTree: { ver: null, is_deleted: null } } }),
  },
  {
    name: "alterable setting changed",
    edit: (t) => ({ ...t, table_settings: { merge_with_ttl_timeout: "7200" } }),
  },
  {
    name: "table TTL changed",
    edit: (t) => ({ ...t, table_ttl_setting: "toDateTime(0) + INTERVAL 30 DAY" }),
  },
  {
    name: "index added",
    edit: (t) => ({
      ...t,
      indexes: [
        ...t.indexes,
        { name: "j", expression: "b", type: "minmax", arguments: [], granularity: 1 },
      ],
    }),
  },
  { name: "index dropped", edit: (t) => ({ ...t, indexes: [] }) },
  {
    name: "projection added",
    edit: (t) => ({
      ...t,
      projections: [...t.projections, { name: "q", body: "SELECT * ORDER BY a" }],
    }),
  },
  { name: "projection dropped", edit: (t) => ({ ...t, projections: [] }) },
  { name: "SAMPLE BY set", edit: (t) => ({ ...t, sample_by: "cityHash64(id)" }) },
];

/** What reaches the file for each lifecycle (§4): the delta types allowed, per change. */
const EXPECTED: Record<string, Record<LifeCycle, DeltaType[]>> = {
  "column added": {
    FULLY_MANAGED: ["AddTableColumn"],
    DELETION_PROTECTED: ["AddTableColumn"],
    EXTERNALLY_MANAGED: [],
  },
  "column removed": {
    FULLY_MANAGED: ["DropTableColumn"],
    DELETION_PROTECTED: [],
    EXTERNALLY_MANAGED: [],
  },
  "column modified": {
    FULLY_MANAGED: ["ModifyTableColumn"],
    DELETION_PROTECTED: ["ModifyTableColumn"],
    EXTERNALLY_MANAGED: [],
  },
  "column renamed": {
    FULLY_MANAGED: ["RenameTableColumn"],
    DELETION_PROTECTED: ["RenameTableColumn"],
    EXTERNALLY_MANAGED: [],
  },
  "ORDER BY changed (recreate)": {
    FULLY_MANAGED: ["RecreateTable"],
    DELETION_PROTECTED: [],
    EXTERNALLY_MANAGED: [],
  },
  "engine changed (recreate)": {
    FULLY_MANAGED: ["RecreateTable"],
    DELETION_PROTECTED: [],
    EXTERNALLY_MANAGED: [],
  },
  "alterable setting changed": {
    FULLY_MANAGED: ["ModifyTableSettings"],
    DELETION_PROTECTED: ["ModifyTableSettings"],
    EXTERNALLY_MANAGED: [],
  },
  "table TTL changed": {
    FULLY_MANAGED: ["ModifyTableTtl"],
    DELETION_PROTECTED: ["ModifyTableTtl"],
    EXTERNALLY_MANAGED: [],
  },
  "index added": {
    FULLY_MANAGED: ["AddTableIndex"],
    DELETION_PROTECTED: ["AddTableIndex"],
    EXTERNALLY_MANAGED: [],
  },
  "index dropped": {
    FULLY_MANAGED: ["DropTableIndex"],
    DELETION_PROTECTED: ["DropTableIndex"],
    EXTERNALLY_MANAGED: [],
  },
  "projection added": {
    FULLY_MANAGED: ["AddTableProjection"],
    DELETION_PROTECTED: ["AddTableProjection"],
    EXTERNALLY_MANAGED: [],
  },
  "projection dropped": {
    FULLY_MANAGED: ["DropTableProjection"],
    DELETION_PROTECTED: ["DropTableProjection"],
    EXTERNALLY_MANAGED: [],
  },
  "SAMPLE BY set": {
    FULLY_MANAGED: ["ModifySampleBy"],
    DELETION_PROTECTED: ["ModifySampleBy"],
    EXTERNALLY_MANAGED: [],
  },
  "table added": {
    FULLY_MANAGED: ["CreateTable"],
    DELETION_PROTECTED: ["CreateTable"],
    EXTERNALLY_MANAGED: [],
  },
  "table removed": { FULLY_MANAGED: ["DropTable"], DELETION_PROTECTED: [], EXTERNALLY_MANAGED: [] },
  "MV added": {
    FULLY_MANAGED: ["CreateMaterializedView"],
    DELETION_PROTECTED: ["CreateMaterializedView"],
    EXTERNALLY_MANAGED: [],
  },
  "MV removed": {
    FULLY_MANAGED: ["DropMaterializedView"],
    DELETION_PROTECTED: [],
    EXTERNALLY_MANAGED: [],
  },
  "MV changed": {
    FULLY_MANAGED: ["DropMaterializedView", "CreateMaterializedView"],
    DELETION_PROTECTED: [],
    EXTERNALLY_MANAGED: [],
  },
};

const plan = (before: InfraMap, after: InfraMap) => {
  let raw = diffMaps(before, after);
  raw = applyRenames(raw, findRenameCandidates(raw, before, after), before);
  const { allowed, blocked } = filterByLifecycle(raw, before, after, (d) =>
    deltaTableIdIn(d, "db"),
  );
  return { allowed: allowed.map((d) => d.type), blocked, raw: raw.map((d) => d.type) };
};

const mv = (lc: LifeCycle, select = "SELECT id FROM t"): MaterializedView => ({
  name: "mv",
  selectSql: select,
  sourceTables: ["`t`"],
  targetTable: "t",
  lifeCycle: lc,
});
const withMv = (m: MaterializedView | undefined, t: Table) => {
  const map = mapOf(t);
  if (m) map.materialized_views.mv = m;
  return map;
};

describe("lifecycle matrix (moose-behaviour §4), change kind × lifecycle", () => {
  for (const lc of LIFECYCLES) {
    for (const change of TABLE_CHANGES) {
      it(`${change.name} × ${lc}`, () => {
        const r = plan(mapOf(base(lc)), mapOf(change.edit(base(lc))!));
        expect(r.allowed).toEqual(EXPECTED[change.name]![lc]);
        // Nothing is dropped silently: whatever is not allowed is listed with a reason.
        expect(r.allowed.length + r.blocked.length).toBe(r.raw.length);
        for (const b of r.blocked) expect(b.reason).toMatch(/lifecycle/);
      });
    }
    it(`table added × ${lc}`, () => {
      expect(plan(mapOf(), mapOf(base(lc))).allowed).toEqual(EXPECTED["table added"]![lc]);
    });
    it(`table removed × ${lc}`, () => {
      const r = plan(mapOf(base(lc)), mapOf());
      expect(r.allowed).toEqual(EXPECTED["table removed"]![lc]);
      if (lc !== "FULLY_MANAGED") expect(r.blocked[0]!.reason).toMatch(/removal blocked/);
    });
    it(`MV added × ${lc}`, () => {
      const t = base("FULLY_MANAGED");
      expect(plan(withMv(undefined, t), withMv(mv(lc), t)).allowed).toEqual(
        EXPECTED["MV added"]![lc],
      );
    });
    it(`MV removed × ${lc}`, () => {
      const t = base("FULLY_MANAGED");
      expect(plan(withMv(mv(lc), t), withMv(undefined, t)).allowed).toEqual(
        EXPECTED["MV removed"]![lc],
      );
    });
    it(`MV changed × ${lc}`, () => {
      const t = base("FULLY_MANAGED");
      const r = plan(withMv(mv(lc), t), withMv(mv(lc, "SELECT a AS id FROM t"), t));
      expect(r.allowed).toEqual(EXPECTED["MV changed"]![lc]);
      if (lc === "DELETION_PROTECTED")
        expect(r.blocked.map((b) => b.reason).join("\n")).toMatch(
          /CREATE blocked because corresponding DROP was blocked/,
        );
    });
  }
  it("plain views have no lifecycle: always dropped and created", () => {
    const t = base("DELETION_PROTECTED");
    const v = { name: "v", selectSql: "SELECT 1", sourceTables: [] };
    const before = mapOf(t);
    before.views.v = v;
    const after = mapOf(t);
    after.views.v = { ...v, selectSql: "SELECT 2" };
    expect(plan(before, after).allowed).toEqual(["DropView", "CreateView"]);
  });
  it("lifecycle FM → DP together with a recreate: the target lifecycle wins (blocked)", () => {
    const r = plan(
      mapOf(base("FULLY_MANAGED")),
      mapOf({ ...base("DELETION_PROTECTED"), order_by: ["a"] }),
    );
    expect(r.allowed).toEqual([]);
  });
  it("lifecycle DP → FM together with a recreate: allowed", () => {
    const r = plan(
      mapOf(base("DELETION_PROTECTED")),
      mapOf({ ...base("FULLY_MANAGED"), order_by: ["a"] }),
    );
    expect(r.allowed).toEqual(["RecreateTable"]);
  });
  it("migrate's re-check refuses a drop written before the table became protected", () => {
    const before = mapOf(base("FULLY_MANAGED"));
    const nowProtected = mapOf(base("DELETION_PROTECTED"));
    expect(
      lifecycleViolation(
        { type: "DropTableColumn", table_id: "db_t", column_name: "b" },
        before,
        nowProtected,
      ),
    ).toMatch(/DeletionProtected lifecycle - column removal blocked: b/);
  });
});
