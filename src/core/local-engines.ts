import { engineOf, isReplicated, makeEngine } from "./engines";
import { withDerivedHashes } from "./hash";
import type { EngineName, InfraMap, Table } from "./infra-map";

/**
 * The code as the embedded engine can hold it: a Replicated*MergeTree becomes its plain
 * counterpart (chDB has no Keeper and no `{shard}`/`{replica}` macros) and no table is created
 * ON CLUSTER. `moose dev` applies this to its embedded database; pending.yaml and every file
 * keep the code's own engines.
 */
export const withoutReplication = (map: InfraMap): InfraMap => {
  let changed = false;
  const tables: Record<string, Table> = {};
  for (const [id, t] of Object.entries(map.tables)) {
    const { name, params } = engineOf(t.engine);
    if (!isReplicated(name) && t.cluster_name === undefined) {
      tables[id] = t;
      continue;
    }
    changed = true;
    const local: Table = { ...t };
    delete local.cluster_name;
    tables[id] = withDerivedHashes({
      ...local,
      engine: isReplicated(name)
        ? makeEngine(name.slice("Replicated".length) as EngineName, params)
        : t.engine,
    });
  }
  return changed ? { ...map, tables } : map;
};
