import { dispatchDelta, type Delta } from "./deltas";
import type { InfraMap, LifeCycle, Table } from "./infra-map";

/** A change the diff found but the resource's lifecycle does not allow. Shown, never dropped silently. */
export interface BlockedChange {
  delta: Delta;
  tableId: string;
  reason: string;
}

const label: Record<LifeCycle, string> = {
  FULLY_MANAGED: "FullyManaged",
  DELETION_PROTECTED: "DeletionProtected",
  EXTERNALLY_MANAGED: "ExternallyManaged",
};

const isDropProtected = (lc: LifeCycle) => lc !== "FULLY_MANAGED";

/**
 * Why the lifecycle forbids a delta, or null when it is allowed. Pure removals are judged by
 * the lifecycle of the table as it is (before); everything else by the lifecycle the code
 * declares (after), as the reference tool does.
 */
export const lifecycleViolation = (
  delta: Delta,
  base: InfraMap,
  target: InfraMap,
): string | null => {
  const lifeOf = (id: string, preferTarget: boolean): LifeCycle => {
    const t: Table | undefined = preferTarget
      ? (target.tables[id] ?? base.tables[id])
      : (base.tables[id] ?? target.tables[id]);
    return t?.life_cycle ?? "FULLY_MANAGED";
  };
  return dispatchDelta<string | null>(delta, {
    CreateTable: (d) =>
      d.table.life_cycle === "EXTERNALLY_MANAGED"
        ? `Table '${d.table.name}' has ${label.EXTERNALLY_MANAGED} lifecycle - addition blocked`
        : null,
    DropTable: (d) =>
      isDropProtected(d.table.life_cycle)
        ? `Table '${d.table.name}' has ${label[d.table.life_cycle]} lifecycle - removal blocked`
        : null,
    RecreateTable: (d) =>
      isDropProtected(d.after.life_cycle)
        ? `Table '${d.after.name}' has ${label[d.after.life_cycle]} lifecycle - drop + recreate blocked (CREATE blocked because corresponding DROP was blocked)`
        : null,
    AddTableColumn: (d) =>
      lifeOf(d.table_id, true) === "EXTERNALLY_MANAGED"
        ? `Table '${d.table_id}' has ${label.EXTERNALLY_MANAGED} lifecycle - column addition blocked: ${d.column.name}`
        : null,
    ModifyTableColumn: (d) =>
      lifeOf(d.table_id, true) === "EXTERNALLY_MANAGED"
        ? `Table '${d.table_id}' has ${label.EXTERNALLY_MANAGED} lifecycle - column change blocked: ${d.after_column.name}`
        : null,
    RenameTableColumn: (d) =>
      lifeOf(d.table_id, true) === "EXTERNALLY_MANAGED"
        ? `Table '${d.table_id}' has ${label.EXTERNALLY_MANAGED} lifecycle - column rename blocked: ${d.before_name}`
        : null,
    DropTableColumn: (d) => {
      const lc = lifeOf(d.table_id, true);
      return isDropProtected(lc)
        ? `Table '${d.table_id}' has ${label[lc]} lifecycle - column removal blocked: ${d.column_name}`
        : null;
    },
  });
};

export interface LifecycleFiltered {
  allowed: Delta[];
  blocked: BlockedChange[];
}

export const filterByLifecycle = (
  deltas: readonly Delta[],
  base: InfraMap,
  target: InfraMap,
  idOf: (d: Delta) => string,
): LifecycleFiltered => {
  const allowed: Delta[] = [];
  const blocked: BlockedChange[] = [];
  for (const delta of deltas) {
    const reason = lifecycleViolation(delta, base, target);
    if (reason === null) allowed.push(delta);
    else blocked.push({ delta, tableId: idOf(delta), reason });
  }
  return { allowed, blocked };
};
