/*
 * The chain check with remembered hashes. Checking that no two files fork means hashing the
 * state before every file, which grows with history × schema size (about 0.5 s at 200 files
 * over 1,000 tables). The hash before a file depends only on the files before it, so:
 * - within one command, a second walk over the same leading files (migrate checks the
 *   committed files, then the applied ones; generate the applied ones, then the committed
 *   ones and its new file) takes the first walk's hashes (`ProjectContext.chainWalk`);
 * - across commands, `.moose/cache/chain.json` keeps each committed file's id, SHA-256 of its
 *   bytes and the hash before it, for the leading files that are byte for byte the same.
 * Only from the first new or changed file on is anything hashed. A clean checkout (CI) has no
 * cache and checks everything once. `MOOSE_MODEL_CACHE=off` turns the file off, and
 * `migrate --validate` uses neither.
 */
import fs from "node:fs";
import path from "node:path";
import { checkChain, type ChainFile, type ChainReport } from "../core/chain";
import type { ProjectContext } from "./context";

interface ChainCache {
  format: 1;
  db: string;
  files: { id: string; checksum: string; before: string }[];
}

const cachePath = (root: string) => path.join(root, ".moose", "cache", "chain.json");

const readCache = (root: string): ChainCache | undefined => {
  try {
    const c = JSON.parse(fs.readFileSync(cachePath(root), "utf8")) as ChainCache;
    return c.format === 1 && Array.isArray(c.files) ? c : undefined;
  } catch {
    return undefined;
  }
};

const writeCache = (root: string, cache: ChainCache): void => {
  try {
    fs.mkdirSync(path.dirname(cachePath(root)), { recursive: true });
    const tmp = `${cachePath(root)}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(cache));
    fs.renameSync(tmp, cachePath(root));
  } catch {
    // Only a shortcut: the next command hashes again.
  }
};

/** How many leading files of `files` are the committed files at the same positions. */
const committedPrefix = (ctx: ProjectContext, files: readonly ChainFile[]): number => {
  let n = 0;
  while (n < files.length && ctx.migrations[n]?.file === files[n]) n++;
  return n;
};

/** The hashes before the leading files of `files` that this command or an earlier one knows. */
const knownBefore = (ctx: ProjectContext, files: readonly ChainFile[]): string[] => {
  const walked: string[] = [];
  const walk = ctx.chainWalk;
  while (walk && walked.length < files.length && walk.files[walked.length] === files[walked.length])
    walked.push(walk.before[walked.length]!);
  const remembered: string[] = [];
  const cached = ctx.modelCache === true ? readCache(ctx.root) : undefined;
  if (cached?.db === ctx.defaultDb) {
    const n = committedPrefix(ctx, files);
    for (let i = 0; i < n; i++) {
      const c = cached.files[i];
      if (c === undefined || c.id !== files[i]!.id || c.checksum !== ctx.migrations[i]!.checksum)
        break;
      remembered.push(c.before);
    }
  }
  return walked.length >= remembered.length ? walked : remembered;
};

/**
 * `checkChain` of `files` (the committed files, the applied ones in journal order, or the
 * committed ones and a new file), hashing only what neither this command nor the cache knows;
 * what it learns about the committed files is remembered for the next walk and command.
 */
export const checkChainRemembering = (
  ctx: ProjectContext,
  files: readonly ChainFile[],
): ChainReport => {
  const known = knownBefore(ctx, files);
  const report = checkChain(files, ctx.defaultDb, known);
  ctx.chainWalk = { files: [...files], before: report.before };
  const committed = committedPrefix(ctx, files);
  if (ctx.modelCache === true && report.conflicts.length === 0 && known.length < committed)
    writeCache(ctx.root, {
      format: 1,
      db: ctx.defaultDb,
      files: ctx.migrations.slice(0, committed).map((m, i) => ({
        id: m.file.id,
        checksum: m.checksum,
        before: report.before[i]!,
      })),
    });
  return report;
};
