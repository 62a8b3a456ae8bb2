/* eslint-disable @typescript-eslint/no-explicit-any -- moose-lib returns "any row type" resources */
/**
 * moose-lib's registry lookups over the resources declared so far, keyed as moose-lib keys
 * them (the maps are the live ones).
 */
import type { Api, WebApp } from "./apis";
import type { OlapDictionary } from "./dictionaries";
import type { IngestApi } from "./ingest";
import type { OlapTable } from "./olap-table";
import { declared } from "./registry";
import type { SelectRowPolicy } from "./row-policies";
import type { Stream } from "./stream";
import type { MaterializedView, SqlResource, View } from "./views";
import type { Workflow } from "./workflows";

/** Tables by `name` (or `name_version` when versioned, version as written). */
export function getTables(): Map<string, OlapTable<any>> {
  return declared("tables") as Map<string, OlapTable<any>>;
}
export function getTable(name: string): OlapTable<any> | undefined {
  return getTables().get(name);
}
export function getStreams(): Map<string, Stream<any>> {
  return declared("streams") as Map<string, Stream<any>>;
}
export function getStream(name: string): Stream<any> | undefined {
  return getStreams().get(name);
}
export function getIngestApis(): Map<string, IngestApi<any>> {
  return declared("ingestApis") as Map<string, IngestApi<any>>;
}
export function getIngestApi(name: string): IngestApi<any> | undefined {
  return getIngestApis().get(name);
}
/** APIs by `name` / `name:version`, and by custom path. */
export function getApis(): Map<string, Api<any>> {
  return declared("apis") as Map<string, Api<any>>;
}
/**
 * An API by key (`name`, `name:version`, path), else by bare name when that name has exactly
 * one registration, else by custom path.
 */
export function getApi(nameOrPath: string): Api<any> | undefined {
  const apis = getApis();
  const direct = apis.get(nameOrPath);
  if (direct) return direct;
  const byName = new Map<string, Api<any>[]>();
  const byPath = new Map<string, Api<any>>();
  for (const api of apis.values()) {
    byName.set(api.name, [...(byName.get(api.name) ?? []), api]);
    if (api.config.path) byPath.set(api.config.path, api);
  }
  const named = byName.get(nameOrPath);
  if (named && named.length === 1) return named[0];
  return byPath.get(nameOrPath);
}
export function getSqlResources(): Map<string, SqlResource> {
  return declared("sqlResources") as Map<string, SqlResource>;
}
export function getSqlResource(name: string): SqlResource | undefined {
  return getSqlResources().get(name);
}
export function getWorkflows(): Map<string, Workflow> {
  return declared("workflows") as Map<string, Workflow>;
}
export function getWorkflow(name: string): Workflow | undefined {
  return getWorkflows().get(name);
}
export function getWebApps(): Map<string, WebApp> {
  return declared("webApps") as Map<string, WebApp>;
}
export function getWebApp(name: string): WebApp | undefined {
  return getWebApps().get(name);
}
export function getMaterializedViews(): Map<string, MaterializedView<any>> {
  return declared("materializedViews") as Map<string, MaterializedView<any>>;
}
export function getMaterializedView(name: string): MaterializedView<any> | undefined {
  return getMaterializedViews().get(name);
}
/** Views by `name`, or `database::name` when the view sets its database. */
export function getViews(): Map<string, View> {
  return declared("views") as Map<string, View>;
}
export function getView(name: string, database?: string): View | undefined {
  return getViews().get(database ? `${database}::${name}` : name);
}
export function getSelectRowPolicies(): Map<string, SelectRowPolicy> {
  return declared("selectRowPolicies") as Map<string, SelectRowPolicy>;
}
export function getSelectRowPolicy(name: string): SelectRowPolicy | undefined {
  return getSelectRowPolicies().get(name);
}
export function getOlapDictionaries(): Map<string, OlapDictionary<any>> {
  return declared("olapDictionaries") as Map<string, OlapDictionary<any>>;
}
export function getOlapDictionary(name: string): OlapDictionary<any> | undefined {
  return getOlapDictionaries().get(name);
}
