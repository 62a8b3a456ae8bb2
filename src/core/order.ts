import { deltaTableIdIn, type Delta } from "./deltas";

/*
 * The order of a file's deltas: what must exist before what, independent of how the deltas
 * were found (diff, renames, version bumps) and of how they are applied.
 */

/**
 * Phase of a delta in a file. Views go first on the way down and last on the way up, so no
 * view ever reads a table that is not there; a version bump's old table is dropped only after
 * the backfill read it.
 */
const PHASE: Record<Delta["type"], number> = {
  DropMaterializedView: 0,
  DropView: 0,
  DropTableColumn: 1,
  DropTableIndex: 1,
  DropTableProjection: 1,
  DropTable: 1,
  RecreateTable: 2,
  CreateTable: 3,
  RenameTableColumn: 4,
  AddTableColumn: 4,
  ModifyTableColumn: 4,
  ModifyTableSettings: 4,
  ModifyTableTtl: 4,
  AddTableIndex: 4,
  AddTableProjection: 4,
  ModifySampleBy: 4,
  RemoveSampleBy: 4,
  BackfillTable: 5,
  CreateMaterializedView: 7,
  CreateView: 8,
  RawSql: 9,
  // Topics after the tables a stream may sync into; old ones go first.
  DeleteTopic: 10,
  UpdateTopic: 11,
  CreateTopic: 11,
};
/** Phase of a version bump's drop of the old table: after the new one exists and is filled. */
const LATE_DROP_PHASE = 6;

/**
 * Deterministic order: by phase, then resource id; deltas of one resource in one phase keep
 * their relative order (column order matters for `after_column`).
 */
export const orderDeltas = (deltas: readonly Delta[], defaultDb: string): Delta[] => {
  // A table replaced by a new version is dropped last (after its backfill read it).
  const replaced = new Set(
    deltas.flatMap((d) =>
      d.type === "CreateTable"
        ? [`${d.table.database ?? defaultDb}.${d.table.source_primitive.name}`]
        : [],
    ),
  );
  const depth = viewDepths(deltas);
  return deltas
    .map((delta, index) => ({
      delta,
      index,
      // Views reading other views: created after them, dropped before them.
      sub:
        delta.type === "CreateView" || delta.type === "CreateMaterializedView"
          ? (depth.get(delta.type === "CreateView" ? delta.view.name : delta.mv.name) ?? 0)
          : delta.type === "DropView" || delta.type === "DropMaterializedView"
            ? -(depth.get(delta.type === "DropView" ? delta.view.name : delta.mv.name) ?? 0)
            : 0,
      phase:
        delta.type === "DropTable" &&
        replaced.has(`${delta.table.database ?? defaultDb}.${delta.table.source_primitive.name}`)
          ? LATE_DROP_PHASE
          : PHASE[delta.type],
      id: deltaTableIdIn(delta, defaultDb),
    }))
    .sort(
      (a, b) =>
        a.phase - b.phase ||
        a.sub - b.sub ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
        a.index - b.index,
    )
    .map((x) => x.delta);
};

/** How many views of this batch a view reads through (0: it reads tables only). */
const viewDepths = (deltas: readonly Delta[]): Map<string, number> => {
  const sources = new Map<string, string[]>();
  for (const d of deltas) {
    const v =
      d.type === "CreateView" || d.type === "DropView"
        ? d.view
        : d.type === "CreateMaterializedView" || d.type === "DropMaterializedView"
          ? d.mv
          : undefined;
    if (v)
      sources.set(
        v.name,
        v.sourceTables.map((s) => s.replace(/`/g, "").split(".").at(-1)!),
      );
  }
  const depth = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle: ClickHouse would refuse it anyway
    seen.add(name);
    const d = Math.max(
      0,
      ...(sources.get(name) ?? []).filter((s) => sources.has(s)).map((s) => visit(s, seen) + 1),
    );
    depth.set(name, d);
    return d;
  };
  for (const name of sources.keys()) visit(name, new Set());
  return depth;
};
