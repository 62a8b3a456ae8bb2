import { dispatchDelta, type Delta } from "./deltas";
import {
  tableNamer,
  topicId,
  viewId,
  type InfraMap,
  type LifeCycle,
  type Table,
} from "./infra-map";

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
  // Messages name tables as users do (`Bar`, not the internal id `local_Bar`).
  const nameOf = tableNamer(target, base);
  const externallyManaged = (id: string, what: string): string | null =>
    lifeOf(id, true) === "EXTERNALLY_MANAGED"
      ? `Table '${nameOf(id)}' has ${label.EXTERNALLY_MANAGED} lifecycle - ${what} blocked`
      : null;
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
        ? `Table '${nameOf(d.table_id)}' has ${label.EXTERNALLY_MANAGED} lifecycle - column addition blocked: ${d.column.name}`
        : null,
    ModifyTableColumn: (d) =>
      lifeOf(d.table_id, true) === "EXTERNALLY_MANAGED"
        ? `Table '${nameOf(d.table_id)}' has ${label.EXTERNALLY_MANAGED} lifecycle - column change blocked: ${d.after_column.name}`
        : null,
    RenameTableColumn: (d) =>
      lifeOf(d.table_id, true) === "EXTERNALLY_MANAGED"
        ? `Table '${nameOf(d.table_id)}' has ${label.EXTERNALLY_MANAGED} lifecycle - column rename blocked: ${d.before_name}`
        : null,
    DropTableColumn: (d) => {
      const lc = lifeOf(d.table_id, true);
      return isDropProtected(lc)
        ? `Table '${nameOf(d.table_id)}' has ${label[lc]} lifecycle - column removal blocked: ${d.column_name}`
        : null;
    },
    ModifyTableSettings: (d) => externallyManaged(d.table_id, "settings change"),
    ModifyTableTtl: (d) => externallyManaged(d.table_id, "TTL change"),
    AddTableIndex: (d) => externallyManaged(d.table_id, `index addition: ${d.index.name}`),
    DropTableIndex: (d) => externallyManaged(d.table_id, `index removal: ${d.index_name}`),
    AddTableProjection: (d) =>
      externallyManaged(d.table_id, `projection addition: ${d.projection.name}`),
    DropTableProjection: (d) =>
      externallyManaged(d.table_id, `projection removal: ${d.projection_name}`),
    ModifySampleBy: (d) => externallyManaged(d.table_id, "SAMPLE BY change"),
    RemoveSampleBy: (d) => externallyManaged(d.table_id, "SAMPLE BY removal"),
    // Plain views hold no data and have no lifecycle: always applied.
    CreateView: () => null,
    DropView: () => null,
    CreateMaterializedView: (d) => {
      const id = viewId(d.mv);
      const lc = d.mv.lifeCycle;
      if (lc === "EXTERNALLY_MANAGED")
        return `Materialized view '${d.mv.name}' has ${label[lc]} lifecycle - addition blocked`;
      // A changed view is dropped and created again: the create is blocked with its drop.
      if (base.materialized_views[id] && isDropProtected(lc))
        return `Materialized view '${d.mv.name}' has ${label[lc]} lifecycle - CREATE blocked because corresponding DROP was blocked`;
      return null;
    },
    DropMaterializedView: (d) => {
      const id = viewId(d.mv);
      const lc = (target.materialized_views[id] ?? d.mv).lifeCycle;
      if (!isDropProtected(lc)) return null;
      return target.materialized_views[id]
        ? `Materialized view '${d.mv.name}' has ${label[lc]} lifecycle - drop + recreate blocked`
        : `Materialized view '${d.mv.name}' has ${label[lc]} lifecycle - removal blocked`;
    },
    BackfillTable: () => null,
    RawSql: () => null,
    // Topics (moose-behaviour §4): created unless externally managed, deleted only when fully
    // managed (judged by the topic as it is), updated unless externally managed.
    CreateTopic: (d) =>
      d.topic.life_cycle === "EXTERNALLY_MANAGED"
        ? `Topic '${topicId(d.topic)}' has ${label.EXTERNALLY_MANAGED} lifecycle - addition blocked`
        : null,
    DeleteTopic: (d) => {
      const lc = (base.topics[d.topic_id] ?? target.topics[d.topic_id])?.life_cycle;
      return lc !== undefined && isDropProtected(lc)
        ? `Topic '${d.topic_id}' has ${label[lc]} lifecycle - deletion blocked (the topic is kept)`
        : null;
    },
    UpdateTopic: (d) =>
      d.after.life_cycle === "EXTERNALLY_MANAGED"
        ? `Topic '${topicId(d.after)}' has ${label.EXTERNALLY_MANAGED} lifecycle - update blocked`
        : null,
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
