import { deltaLosses, type CountedLoss } from "./data-safety";
import { dispatchDelta, type Delta } from "./deltas";
import { tableId, type InfraMap } from "./infra-map";
import { uncountedTypeChange } from "./type-narrowing";

/*
 * How risky each change of a plan is, for `generate` and `moose plan`: safe (no existing data
 * changes), caution (data is converted or copied; values may be refused at migrate), danger
 * (data is removed, or live values would not fit). Pure: the command adds the live counts.
 */

export type RiskLevel = "safe" | "caution" | "danger";

export interface Risk {
  /** 1-based number of the change in the printed list (the file's delta number). */
  delta: number;
  level: RiskLevel;
  /** One line per reason (a delta can narrow several columns). */
  reasons: string[];
  /** The table the counts concern, as the user names it. */
  table?: string;
  /** Its internal id (`local_T`), for the command to find the physical table. */
  tableId?: string;
  /** Rows of the table now (drops), with a live target. */
  rows?: number;
  /** Values that would not survive each narrowing, with a live target. */
  losses?: { column: string; from: string; to: string; count: number; example: string | null }[];
}

const SAFE = "no existing data changes";

/** The risk of one change, before live counts (`state`: the base the plan applies to). */
export const riskOf = (
  delta: Delta,
  index: number,
  state: InfraMap,
  nameOf: (tableId: string) => string = (id) => id,
): Risk => {
  const at = (level: RiskLevel, ...reasons: string[]): Risk => ({
    delta: index + 1,
    level,
    reasons,
  });
  const db = state.default_database;
  const about = (id: string) => ({ table: nameOf(id), tableId: id });
  const narrowing = () =>
    deltaLosses(delta, index, state).map(
      (l) => `${l.column}: ${l.reason}; migrate stops if any row does not fit`,
    );
  return dispatchDelta<Risk>(delta, {
    CreateTable: () => at("safe", SAFE),
    DropTable: (d) => ({
      ...at("danger", `drops table ${nameOf(tableId(d.table, db))} and every row in it`),
      ...about(tableId(d.table, db)),
    }),
    RecreateTable: (d) => {
      const kept = new Set(d.after.columns.map((c) => c.name));
      const lost = d.before.columns.filter((c) => !kept.has(c.name)).map((c) => c.name);
      const reasons = [
        "the table is rebuilt and its rows copied with casts",
        ...(lost.length > 0 ? [`column(s) ${lost.join(", ")} and their data are dropped`] : []),
        ...narrowing(),
      ];
      return {
        ...at(lost.length > 0 ? "danger" : "caution", ...reasons),
        ...about(tableId(d.before, db)),
      };
    },
    AddTableColumn: () => at("safe", SAFE),
    DropTableColumn: (d) => ({
      ...at("danger", `drops column ${d.column_name} and its data`),
      ...about(d.table_id),
    }),
    ModifyTableColumn: (d) => {
      const reasons = narrowing();
      if (reasons.length > 0) return { ...at("caution", ...reasons), ...about(d.table_id) };
      if (uncountedTypeChange(d.before_column, d.after_column))
        return at(
          "caution",
          `${d.after_column.name}: composite type change is not checked in advance; ClickHouse converts or refuses it at migrate`,
        );
      return at("safe", SAFE);
    },
    RenameTableColumn: () => at("safe", SAFE),
    ModifyTableSettings: () => at("safe", SAFE),
    ModifyTableTtl: (d) =>
      d.after === null ? at("safe", SAFE) : at("caution", "rows past the new TTL are deleted"),
    AddTableIndex: () => at("safe", SAFE),
    DropTableIndex: () => at("safe", SAFE),
    AddTableProjection: () => at("safe", SAFE),
    DropTableProjection: () => at("safe", SAFE),
    ModifySampleBy: () => at("safe", SAFE),
    RemoveSampleBy: () => at("safe", SAFE),
    CreateView: () => at("safe", SAFE),
    DropView: () => at("safe", "a view holds no rows"),
    CreateMaterializedView: () => at("safe", SAFE),
    DropMaterializedView: () =>
      at("caution", "rows inserted while the materialized view is gone are not transformed"),
    BackfillTable: () => at("caution", "copies rows into the new table version"),
    RawSql: () => at("caution", "hand-written SQL: not checked"),
    CreateTopic: () => at("safe", SAFE),
    DeleteTopic: (d) => at("danger", `deletes topic ${d.topic_id} and its messages`),
    UpdateTopic: () => at("safe", SAFE),
  });
};

/** Risks of the changes (records, already in effect, are not risks and get none). */
export const planRisks = (
  deltas: readonly Delta[],
  records: number,
  state: InfraMap,
  nameOf?: (tableId: string) => string,
): Risk[] => deltas.flatMap((d, i) => (i < records ? [] : [riskOf(d, i, state, nameOf)]));

/**
 * The risks with live numbers: a narrowing whose values do not all fit is danger, with the
 * count and an example; a drop says how many rows it removes.
 */
export const withLiveCounts = (
  risks: readonly Risk[],
  counted: readonly CountedLoss[],
  rows: ReadonlyMap<string, number>,
): Risk[] =>
  risks.map((r) => {
    const mine = counted.filter((l) => l.delta + 1 === r.delta);
    const n = r.table !== undefined ? rows.get(r.table) : undefined;
    const out: Risk = { ...r, ...(n !== undefined ? { rows: n } : {}) };
    if (n !== undefined && r.level === "danger")
      out.reasons = r.reasons.map((x) => `${x} (${n} row(s) now)`);
    if (mine.length === 0) return out;
    out.losses = mine.map((l) => ({
      column: l.column,
      from: l.from,
      to: l.to,
      count: l.count,
      example: l.example,
    }));
    const bad = mine.filter((l) => l.count > 0);
    if (bad.length > 0) {
      out.level = "danger";
      // The counted line replaces the general one of the same column.
      const counted = new Set(bad.map((l) => `${l.column}: ${l.reason}`));
      out.reasons = [
        ...bad.map(
          (l) =>
            `${l.column}: ${l.from} → ${l.to}: ${l.count} row(s) ${l.kind === "nulls" ? "hold NULL" : `hold values that do not fit (e.g. ${l.example ?? "?"})`} now; migrate will stop unless the data is fixed or the file approved with --accept-data-loss`,
        ),
        ...out.reasons.filter((x) => ![...counted].some((c) => x.startsWith(c))),
      ];
    }
    return out;
  });
