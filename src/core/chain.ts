import { MooseError } from "../errors";
import { deltaTableIdIn, type Delta } from "./deltas";
import { diffMaps } from "./diff";
import { foldFileInPlace, foldFiles } from "./fold";
import { createStateHasher, streamStateHash } from "./hash";
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
  /** The OLAP state hash before each file (what a later walk may be given as `known`). */
  before: readonly string[];
}

/**
 * Whether some leading deltas of a file (the records of what was found in the database) take
 * `from` to a state equal to `to` for every purpose the tool migrates. This is how a file that
 * answers hand-made changes is recognized: on the database it was generated against, `to` is
 * the live state and its records are already in effect.
 */
export const recordsReach = (
  from: InfraMap,
  to: InfraMap,
  f: Pick<ChainFile, "id" | "deltas">,
  defaultDb: string,
  sqlKey?: (sql: string) => string,
): boolean => {
  let state = from;
  for (let n = 0; n <= f.deltas.length; n++) {
    if (diffMaps(state, to, sqlKey ? { sqlKey } : {}).length === 0) return true;
    if (n === f.deltas.length) return false;
    try {
      state = foldFiles([{ id: f.id, deltas: [f.deltas[n]!] }], defaultDb, state);
    } catch {
      return false;
    }
  }
  return false;
};

/** Files of earlier releases used the drifted state as parent: their records lead back to it. */
const answersDriftTo = (now: InfraMap, past: InfraMap, f: ChainFile, defaultDb: string) =>
  recordsReach(now, past, f, defaultDb);

/**
 * The offline check of a list of files (`migrate --validate`, and `generate` before it writes):
 * every file folds on the ones before it, and no two files fork from one parent state.
 * Siblings are files sharing a parent where the later one was not built on its predecessor's
 * result (coming back to an earlier state is linear history, not a fork; so is a file that
 * answers a database that drifted back to an earlier state). Tables and topics are checked
 * apart: two branches that each added only topics share the OLAP parent legitimately but fork
 * on the stream parent.
 */
export const checkChain = (
  files: readonly ChainFile[],
  defaultDb: string,
  /**
   * The state hash before each of the leading files, when a cache vouches for them (the same
   * files, byte for byte, walked before): those files are folded without hashing.
   */
  known: readonly string[] = [],
): ChainReport => {
  const byParent = new Map<string, ChainFile[]>();
  const byStreamParent = new Map<string, ChainFile[]>();
  /** Index of the first file that started from each OLAP state hash. */
  const seenAt = new Map<string, number>();
  const stateBefore = (i: number) => foldFiles(files.slice(0, i), defaultDb);
  // One map folded in place and hashed incrementally: a long history costs each file's own
  // changes, not the whole state per file.
  const state = emptyInfraMap(defaultDb);
  const hashOf = createStateHasher();
  let changed = new Set<string>();
  const olap: string[] = [];
  files.forEach((f, i) => {
    let actual: string;
    if (i < known.length) actual = known[i]!;
    else {
      actual = hashOf(state, changed);
      changed = new Set();
    }
    olap.push(actual);
    if (!seenAt.has(actual)) seenAt.set(actual, i);
    const past = seenAt.get(f.parent_state_hash);
    const sibling =
      f.parent_state_hash !== actual &&
      !(past !== undefined && answersDriftTo(state, stateBefore(past), f, defaultDb));
    byParent.set(
      f.parent_state_hash,
      sibling ? [...(byParent.get(f.parent_state_hash) ?? []), f] : [f],
    );
    if (f.parent_stream_hash !== undefined) {
      const streamActual = streamStateHash(state);
      byStreamParent.set(
        f.parent_stream_hash,
        f.parent_stream_hash === streamActual
          ? [f]
          : [...(byStreamParent.get(f.parent_stream_hash) ?? []), f],
      );
    }
    foldFileInPlace(state, f, defaultDb, changed);
  });
  return { state, conflicts: conflictsOf(byParent, byStreamParent, defaultDb), before: olap };
};

const conflictsOf = (
  byParent: ReadonlyMap<string, ChainFile[]>,
  byStreamParent: ReadonlyMap<string, ChainFile[]>,
  defaultDb: string,
): ChainConflict[] =>
  [...byParent, ...byStreamParent]
    .filter(([, fs]) => fs.length > 1)
    .map(([parent, fs]) => ({
      parent,
      files: fs.map((f) => f.id),
      tables: [
        ...new Set(fs.flatMap((f) => f.deltas.map((d) => deltaTableIdIn(d, defaultDb)))),
      ].sort(),
    }));

export const conflictError = (
  conflicts: readonly ChainConflict[],
  details: unknown,
  nameOf: (tableId: string) => string = (id) => id,
): MooseError =>
  new MooseError(
    "MIGRATION_CONFLICT",
    `Migration files fork from the same parent state:\n${conflicts.map((c) => `  - ${c.files.join(" and ")} (both on ${c.parent.slice(0, 12)}…, touching ${[...new Set(c.tables.map(nameOf))].join(", ")})`).join("\n")}`,
    {
      hint: "Two branches each generated a migration. Keep one branch's file, delete the other's and run `moose generate migration --save` again on top.",
      details,
    },
  );
