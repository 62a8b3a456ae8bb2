/**
 * Resources declared by the user's modules while they load. Kept on `globalThis` under a
 * symbol so that a second copy of this module (e.g. one resolved from a project's own
 * node_modules) still records into the same registry.
 */
export interface InjectedColumn {
  [key: string]: unknown;
}
/** What the model loader's compile step injects into each `new OlapTable<T>(…)` call. */
export interface InjectedSchema {
  columns: InjectedColumn[];
  sourceFile: string;
  typeName: string;
}

export interface RegisteredTable {
  kind: "OlapTable";
  name: string;
  config: Record<string, unknown>;
  schema: InjectedSchema | undefined;
}
export interface RegisteredStream {
  kind: "Stream";
  name: string;
  config: Record<string, unknown>;
  schema: InjectedSchema | undefined;
}
export interface RegisteredView {
  kind: "View";
  name: string;
  selectStatement: string;
  sourceTables: string[];
  metadata: { description?: string } | undefined;
  sourceFile: string | undefined;
}
export interface RegisteredMaterializedView {
  kind: "MaterializedView";
  name: string;
  selectStatement: string;
  sourceTables: string[];
  targetTable: string;
  targetDatabase: string | undefined;
  lifeCycle: string | undefined;
  metadata: { description?: string } | undefined;
  sourceFile: string | undefined;
}
export type RegisteredResource =
  RegisteredTable | RegisteredStream | RegisteredView | RegisteredMaterializedView;

const KEY = Symbol.for("moose-migrate.registry");

interface Registry {
  resources: RegisteredResource[];
}

export const registry = (): Registry => {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (g[KEY] ??= { resources: [] });
};

export const resetRegistry = (): void => {
  registry().resources = [];
};
