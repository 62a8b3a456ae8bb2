/*
 * The committed files' chain check with remembered hashes. Checking that no two files fork
 * means hashing the state before every file, which grows with history × schema size (about
 * 0.5 s at 200 files over 1,000 tables). The hash before a file depends only on the files
 * before it, so `.moose/cache/chain.json` keeps each file's id, SHA-256 of its bytes and the
 * hash before it; the next command folds the leading files that are byte for byte the same
 * without hashing them, and hashes only from the first new or changed file on. A clean
 * checkout (CI) has no cache and checks everything. `MOOSE_MODEL_CACHE=off` turns it off, and
 * `migrate --validate` never uses it.
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

/**
 * The remembered hash before each leading file of `files` that is the committed file at the
 * same position, unchanged since it was remembered (by id and SHA-256 of its bytes).
 */
export const knownBefore = (ctx: ProjectContext, files: readonly ChainFile[]): string[] => {
  const cached = ctx.modelCache === true ? readCache(ctx.root) : undefined;
  const known: string[] = [];
  if (cached?.db !== ctx.defaultDb) return known;
  for (const [i, f] of files.entries()) {
    const m = ctx.migrations[i];
    const c = cached.files[i];
    if (m?.file !== f || c === undefined || c.id !== f.id || c.checksum !== m.checksum) break;
    known.push(c.before);
  }
  return known;
};

/** `checkChain` of the committed files (then `extra`), with the remembered hashes. */
export const checkCommittedChain = (
  ctx: ProjectContext,
  extra: readonly ChainFile[] = [],
): ChainReport => {
  const stored = ctx.migrations;
  const useCache = ctx.modelCache === true;
  const files = stored.map((m) => m.file);
  const known = knownBefore(ctx, files);
  const report = checkChain([...files, ...extra], ctx.defaultDb, known);
  if (useCache && report.conflicts.length === 0 && known.length < stored.length) {
    const cache: ChainCache = {
      format: 1,
      db: ctx.defaultDb,
      files: stored.map((m, i) => ({
        id: m.file.id,
        checksum: m.checksum,
        before: report.before[i]!,
      })),
    };
    try {
      fs.mkdirSync(path.dirname(cachePath(ctx.root)), { recursive: true });
      const tmp = `${cachePath(ctx.root)}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(cache));
      fs.renameSync(tmp, cachePath(ctx.root));
    } catch {
      // Only a shortcut: the next command hashes again.
    }
  }
  return report;
};
