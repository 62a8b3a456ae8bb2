import type { Delta } from "./deltas";
import type { Column, InfraMap, Table } from "./infra-map";
import { columnsEquivalent, dataTypesEqual } from "./normalize";

/** A dropped and an added column of one table that look like one column renamed. */
export interface RenameCandidate {
  tableId: string;
  tableName: string;
  from: string;
  to: string;
  /** 0..1: 0.5 for a type match, the rest from name similarity. */
  confidence: number;
}

const levenshtein = (a: string, b: string): number => {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
};

/** Length of the longest common subsequence (`uid` in `user_id` is 3). */
const lcs = (a: string, b: string): number => {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(row[j]!, row[j - 1]!);
      diag = tmp;
    }
  }
  return row[b.length]!;
};

/** Name similarity in 0..1: edit distance, or how much of the shorter name the longer one contains. */
export const nameSimilarity = (a: string, b: string): number => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const longest = Math.max(x.length, y.length, 1);
  const edit = 1 - levenshtein(x, y) / longest;
  const contained = lcs(x, y) / longest;
  const shortest = Math.max(Math.min(x.length, y.length), 1);
  const subsequence = lcs(x, y) === shortest ? 0.5 + 0.5 * (shortest / longest) : contained;
  return Math.max(edit, subsequence);
};

/** Types must match for a rename; ClickHouse cannot rename key columns. */
const renameable = (table: Table, from: Column, to: Column): boolean => {
  const keys = new Set(Array.isArray(table.order_by) ? table.order_by : []);
  return (
    !from.primary_key &&
    !keys.has(from.name) &&
    from.required === to.required &&
    dataTypesEqual(from.data_type, to.data_type) &&
    !from.materialized &&
    !from.alias
  );
};

const MIN_CONFIDENCE = 0.6;

/**
 * Pairs each table's dropped and added columns that look like renames: same type and
 * nullability, name similarity high enough; each column pairs at most once, best pairs first.
 */
export const findRenameCandidates = (
  deltas: readonly Delta[],
  base: InfraMap,
  target: InfraMap,
): RenameCandidate[] => {
  const out: RenameCandidate[] = [];
  const tableIds = new Set(
    deltas.flatMap((d) => (d.type === "DropTableColumn" ? [d.table_id] : [])),
  );
  for (const tableId of [...tableIds].sort()) {
    const before = base.tables[tableId];
    const after = target.tables[tableId];
    if (!before || !after) continue;
    const dropped = deltas.flatMap((d) =>
      d.type === "DropTableColumn" && d.table_id === tableId
        ? before.columns.filter((c) => c.name === d.column_name)
        : [],
    );
    const added = deltas.flatMap((d) =>
      d.type === "AddTableColumn" && d.table_id === tableId ? [d.column] : [],
    );
    const pairs = dropped
      .flatMap((from) =>
        added
          .filter((to) => renameable(before, from, to))
          .map((to) => ({ from, to, confidence: 0.5 + 0.5 * nameSimilarity(from.name, to.name) })),
      )
      .filter((p) => p.confidence >= MIN_CONFIDENCE)
      .sort((a, b) => b.confidence - a.confidence || a.from.name.localeCompare(b.from.name));
    const used = new Set<string>();
    for (const p of pairs) {
      if (used.has(`-${p.from.name}`) || used.has(`+${p.to.name}`)) continue;
      used.add(`-${p.from.name}`);
      used.add(`+${p.to.name}`);
      out.push({
        tableId,
        tableName: after.name,
        from: p.from.name,
        to: p.to.name,
        confidence: Math.round(p.confidence * 100) / 100,
      });
    }
  }
  return out;
};

/**
 * Replaces each accepted pair's DropTableColumn + AddTableColumn by a RenameTableColumn at the
 * add's position, followed by a ModifyTableColumn when the column also changed otherwise.
 */
export const applyRenames = (
  deltas: readonly Delta[],
  accepted: readonly RenameCandidate[],
  base: InfraMap,
): Delta[] => {
  const out: Delta[] = [];
  for (const d of deltas) {
    if (d.type === "DropTableColumn") {
      if (accepted.some((r) => r.tableId === d.table_id && r.from === d.column_name)) continue;
    } else if (d.type === "AddTableColumn") {
      const r = accepted.find((x) => x.tableId === d.table_id && x.to === d.column.name);
      if (r) {
        out.push({
          type: "RenameTableColumn",
          table_id: d.table_id,
          before_name: r.from,
          after_name: r.to,
        });
        const old = base.tables[d.table_id]!.columns.find((c) => c.name === r.from)!;
        const renamed = { ...old, name: r.to };
        if (!columnsEquivalent(renamed, d.column))
          out.push({
            type: "ModifyTableColumn",
            table_id: d.table_id,
            before_column: renamed,
            after_column: d.column,
          });
        continue;
      }
    }
    out.push(d);
  }
  return out;
};
