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
  /** The view's own database (`new View(name, { database })`); absent = the project's. */
  database?: string;
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

/**
 * The SDK objects declared so far, keyed as moose-lib keys them (read by `getTables()`,
 * `getStream(name)`, … in lookups.ts). Values are the user-facing objects themselves.
 */
export interface DeclaredObjects {
  /** `name`, or `name_version` (version as written, dots kept) when versioned. */
  tables: Map<string, unknown>;
  streams: Map<string, unknown>;
  ingestApis: Map<string, unknown>;
  /** `name` or `name:version`, plus the custom path (and `path/version`) when set. */
  apis: Map<string, unknown>;
  sqlResources: Map<string, unknown>;
  workflows: Map<string, unknown>;
  webApps: Map<string, unknown>;
  materializedViews: Map<string, unknown>;
  /** `name`, or `database::name` when the view sets its database. */
  views: Map<string, unknown>;
  selectRowPolicies: Map<string, unknown>;
  olapDictionaries: Map<string, unknown>;
}

const emptyObjects = (): DeclaredObjects => ({
  tables: new Map(),
  streams: new Map(),
  ingestApis: new Map(),
  apis: new Map(),
  sqlResources: new Map(),
  workflows: new Map(),
  webApps: new Map(),
  materializedViews: new Map(),
  views: new Map(),
  selectRowPolicies: new Map(),
  olapDictionaries: new Map(),
});

interface Registry {
  resources: RegisteredResource[];
  objects: DeclaredObjects;
}

export const registry = (): Registry => {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (g[KEY] ??= { resources: [], objects: emptyObjects() });
};

/** The declared-objects map of one kind (see DeclaredObjects for the keys). */
export const declared = <K extends keyof DeclaredObjects>(kind: K): DeclaredObjects[K] =>
  registry().objects[kind];

export const resetRegistry = (): void => {
  const r = registry();
  r.resources = [];
  r.objects = emptyObjects();
};
