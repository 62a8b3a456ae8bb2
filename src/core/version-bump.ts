import type { BackfillTableDelta, Delta } from "./deltas";
import { tableDatabase, type Table } from "./infra-map";
import { dataTypesEqual } from "./normalize";
import { qualified, quoteIdent } from "./sql-quote";

/** A table whose `version` changed: a new physical table replaces the old one. */
export interface VersionBump {
  from: Table;
  to: Table;
  /** Columns copied by the backfill, or null when the schemas are not compatible. */
  backfillColumns: string[] | null;
}

const insertable = (t: Table) => t.columns.filter((c) => !c.materialized && !c.alias);

/**
 * The columns a backfill copies: those both versions store with the same type and nullability.
 * New columns get their defaults; a column whose type changed is left out rather than cast
 * (a failed cast would abort the INSERT). Null when nothing can be copied.
 */
const backfillColumns = (from: Table, to: Table): string[] | null => {
  const old = new Map(insertable(from).map((c) => [c.name, c]));
  const copied = insertable(to)
    .filter((c) => {
      const o = old.get(c.name);
      return (
        o !== undefined && o.required === c.required && dataTypesEqual(o.data_type, c.data_type)
      );
    })
    .map((c) => c.name);
  return copied.length > 0 ? copied : null;
};

/** Pairs a dropped and a created table with the same source name and database, different versions. */
export const findVersionBumps = (deltas: readonly Delta[], defaultDb: string): VersionBump[] => {
  const drops = deltas.flatMap((d) => (d.type === "DropTable" ? [d.table] : []));
  const creates = deltas.flatMap((d) => (d.type === "CreateTable" ? [d.table] : []));
  const bumps: VersionBump[] = [];
  for (const to of creates) {
    const from = drops.find(
      (t) =>
        t.source_primitive.name === to.source_primitive.name &&
        tableDatabase(t, defaultDb) === tableDatabase(to, defaultDb) &&
        t.version !== to.version &&
        !bumps.some((b) => b.from === t),
    );
    if (from) bumps.push({ from, to, backfillColumns: backfillColumns(from, to) });
  }
  return bumps;
};

export const backfillDelta = (bump: VersionBump, defaultDb: string): BackfillTableDelta => {
  const cols = (bump.backfillColumns ?? []).map(quoteIdent).join(", ");
  const to = qualified(tableDatabase(bump.to, defaultDb), bump.to.name);
  const from = qualified(tableDatabase(bump.from, defaultDb), bump.from.name);
  return {
    type: "BackfillTable",
    source_table: bump.from.name,
    target_table: bump.to.name,
    columns: [],
    sql: `INSERT INTO ${to} (${cols}) SELECT ${cols} FROM ${from}`,
  };
};

export interface VersionBumpDecision {
  backfill: boolean;
  dropOld: boolean;
}

/**
 * Moose's version-bump plan: CreateTable(new) → BackfillTable → DropTable(old), the drop
 * carrying the recorded decision. Ordering places the drop after the backfill.
 */
export const applyVersionBumps = (
  deltas: readonly Delta[],
  bumps: readonly VersionBump[],
  decisions: readonly VersionBumpDecision[],
  defaultDb: string,
  approvedAt: string,
): Delta[] => {
  const out: Delta[] = [];
  for (const d of deltas) {
    if (d.type !== "DropTable") {
      out.push(d);
      continue;
    }
    const i = bumps.findIndex((b) => b.from === d.table);
    if (i < 0) {
      out.push(d);
      continue;
    }
    const decision = decisions[i]!;
    if (decision.backfill && bumps[i]!.backfillColumns !== null)
      out.push(backfillDelta(bumps[i]!, defaultDb));
    if (decision.dropOld)
      out.push({
        ...d,
        policy: {
          description: `User confirmed: drop table '${d.table.name}'`,
          approved_at: approvedAt,
        },
      });
  }
  return out;
};

/** A table whose `database` changed: the same name and version dropped in one database, created in another. */
export const findDatabaseMoves = (
  deltas: readonly Delta[],
  defaultDb: string,
): { table: string; from: string; to: string }[] => {
  const drops = deltas.flatMap((d) => (d.type === "DropTable" ? [d.table] : []));
  return deltas.flatMap((d) => {
    if (d.type !== "CreateTable") return [];
    const from = drops.find(
      (t) =>
        t.name === d.table.name &&
        t.version === d.table.version &&
        tableDatabase(t, defaultDb) !== tableDatabase(d.table, defaultDb),
    );
    return from
      ? [
          {
            table: d.table.name,
            from: tableDatabase(from, defaultDb),
            to: tableDatabase(d.table, defaultDb),
          },
        ]
      : [];
  });
};
