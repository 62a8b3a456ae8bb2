import { MooseError } from "../errors";
import { deltaTableIdIn, type Delta } from "./deltas";
import { foldFiles } from "./fold";
import { olapStateHash, streamStateHash } from "./hash";
import { emptyInfraMap, type InfraMap } from "./infra-map";

/** What the chain check needs of a file. */
export interface ChainFile {
  id: string;
  parent_state_hash: string;
  parent_stream_hash?: string;
  deltas: Delta[];
}

export interface ChainConflict {
  parent: string;
  files: string[];
  tables: string[];
}

export interface ChainReport {
  /** The fold of every file. */
  state: InfraMap;
  conflicts: ChainConflict[];
}

/**
 * The offline check of a list of files (`migrate --validate`, and `generate` before it writes):
 * every file folds on the ones before it, and no two files fork from one parent state.
 * Siblings are files sharing a parent where the later one was not built on its predecessor's
 * result (coming back to an earlier state is linear history, not a fork). Tables and topics are
 * checked apart: two branches that each added only topics share the OLAP parent legitimately
 * but fork on the stream parent.
 */
export const checkChain = (files: readonly ChainFile[], defaultDb: string): ChainReport => {
  const byParent = new Map<string, ChainFile[]>();
  const byStreamParent = new Map<string, ChainFile[]>();
  const track = (
    groups: Map<string, ChainFile[]>,
    parent: string | undefined,
    actual: string,
    f: ChainFile,
  ) => {
    if (parent === undefined) return;
    groups.set(parent, parent === actual ? [f] : [...(groups.get(parent) ?? []), f]);
  };
  let state = emptyInfraMap(defaultDb);
  for (const f of files) {
    track(byParent, f.parent_state_hash, olapStateHash(state), f);
    track(byStreamParent, f.parent_stream_hash, streamStateHash(state), f);
    state = foldFiles([f], defaultDb, state);
  }
  const conflicts = [...byParent, ...byStreamParent]
    .filter(([, fs]) => fs.length > 1)
    .map(([parent, fs]) => ({
      parent,
      files: fs.map((f) => f.id),
      tables: [
        ...new Set(fs.flatMap((f) => f.deltas.map((d) => deltaTableIdIn(d, defaultDb)))),
      ].sort(),
    }));
  return { state, conflicts };
};

export const conflictError = (conflicts: readonly ChainConflict[], details: unknown): MooseError =>
  new MooseError(
    "MIGRATION_CONFLICT",
    `Migration files fork from the same parent state:\n${conflicts.map((c) => `  - ${c.files.join(" and ")} (both on ${c.parent.slice(0, 12)}…, touching ${c.tables.join(", ")})`).join("\n")}`,
    {
      hint: "Two branches each generated a migration. Keep one branch's file, delete the other's and run `moose generate migration --save` again on top.",
      details,
    },
  );
