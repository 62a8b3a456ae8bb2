/*
 * The model cache: what a one-shot command's compile produced (each project file's emitted
 * JavaScript with the injected columns, how its imports resolved, the warnings), kept under
 * `.moose/cache/` and used by the next command as long as nothing it came from changed. Type
 * checking and emitting are most of a cold load (about 3 s of 5 at 1,000 tables); with an
 * unchanged project the next load runs the cached modules without loading TypeScript at all.
 *
 * What "unchanged" means, checked on every use:
 * - every file the program read (project sources, the SDK's and node_modules' declarations,
 *   tsconfig.json and the configs it extends, the package.json files resolution read) has the
 *   content it had: same stamp (mtime, ctime, size, inode) when the stamp was not racy at
 *   writing time (git's rule, user-files.ts), else the same SHA-1 of its bytes;
 * - every path a resolution looked for and did not find is still absent;
 * - the automatic type roots (`node_modules/@types`) list the same packages;
 * - the key: this cache format, the entry file, the SDK, this tool's own model-loading code and
 *   the TypeScript package.
 * A load that had blocking errors or a resolution that cannot be re-validated from the disk
 * (a linked workspace package) is not cached. `MOOSE_MODEL_CACHE=off` turns the cache off.
 *
 * This module does not import TypeScript: a hit must not pay for loading it.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { RACY_MS, stampOf } from "./file-stamp";
import type { CompileSeed } from "./compile";
import type { ModelWarning } from "./warnings";

const FORMAT = 3;

/** What a compile hands over to be cached. */
export interface CacheRecord {
  /**
   * Every file whose content the compile depended on, with that content when it has it;
   * `project`: one of the project's own sources (a change there leaves the seed usable).
   */
  read: readonly { file: string; text?: string; project?: boolean }[];
  /**
   * Paths looked for and not found; `config`: by the tsconfig chain (one appearing changes the
   * compiler setup; the others change some file's imports, which the seed compares).
   */
  absent: readonly { path: string; config?: boolean }[];
  /** Directories whose listing decided what the program includes (type roots). */
  dirs: readonly string[];
  /** Run-time answers: importing file → import text → resolved project file. */
  answers: Readonly<Record<string, Readonly<Record<string, string>>>>;
  warnings: readonly ModelWarning[];
  /** Each project file's results, to seed the next compile when only project files changed. */
  seed: CompileSeed;
}

interface Input {
  file: string;
  hash: string;
  stamp: string;
  /** Whether the stamp alone can be trusted (the file was not modified just before writing). */
  trusted: boolean;
  project: boolean;
}

interface CacheFile {
  format: number;
  key: string;
  inputs: Input[];
  absent: { path: string; config: boolean }[];
  dirs: { dir: string; names: string }[];
  answers: Record<string, Record<string, string>>;
  warnings: ModelWarning[];
  seed: CompileSeed;
}

/**
 * What the cache gives: a hit (what the run step needs), or, when only project files changed,
 * the seed for a compile that redoes just those and their importers.
 */
export type CachedCompile =
  | {
      kind: "hit";
      outputs: Map<string, string>;
      /** The import's resolved project file, or undefined (Node resolves it at run time). */
      answer: (name: string, from: string) => string | undefined;
      warnings: ModelWarning[];
    }
  | { kind: "seed"; seed: CompileSeed };

export const compileCachePath = (root: string): string =>
  path.join(root, ".moose", "cache", "models.json");

const sha1 = (data: string | Buffer): string =>
  crypto.createHash("sha1").update(data).digest("hex");

const statOrUndefined = (file: string): fs.Stats | undefined => {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
};

const listing = (dir: string): string => {
  try {
    return fs.readdirSync(dir).sort().join("\n");
  } catch {
    return "-";
  }
};

/** This tool's model-loading code and the TypeScript package: a rebuild or upgrade misses. */
const toolStamp = (): string => {
  const own = fs
    .readdirSync(__dirname)
    .filter((f) => /\.[jt]s$/.test(f) && !f.endsWith(".d.ts"))
    .sort()
    .map((f) => {
      const st = statOrUndefined(path.join(__dirname, f));
      return st ? `${f}:${st.mtimeMs}:${st.size}` : f;
    });
  let typescript = "-";
  try {
    const st = fs.statSync(require.resolve("typescript/package.json"));
    typescript = `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    // No TypeScript: a miss then fails the way a cold load does.
  }
  return JSON.stringify([own, typescript]);
};

export const compileCacheKey = (entry: string, sdkEntry: string): string =>
  JSON.stringify([FORMAT, path.resolve(entry), path.resolve(sdkEntry), toolStamp()]);

/** Whether the input still has its recorded content; reads it only when the stamp cannot vouch. */
const inputHolds = (input: Input): "same" | "rehashed" | "changed" => {
  const st = statOrUndefined(input.file);
  if (st === undefined) return "changed";
  if (input.trusted && stampOf(st) === input.stamp) return "same";
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(input.file);
  } catch {
    return "changed";
  }
  return sha1(bytes) === input.hash ? "rehashed" : "changed";
};

const inputOf = (
  file: string,
  text: string | undefined,
  project: boolean,
  now: number,
): Input | undefined => {
  const st = statOrUndefined(file);
  if (st === undefined) return undefined;
  // A parsed text is the file's bytes decoded (as UTF-8); when the decoding may have changed
  // them (a byte-order mark, invalid UTF-8) the bytes are read, so the check compares like
  // with like.
  let hash: string;
  try {
    hash =
      text !== undefined && Buffer.byteLength(text) === st.size
        ? sha1(text)
        : sha1(fs.readFileSync(file));
  } catch {
    return undefined;
  }
  return { file, hash, stamp: stampOf(st), trusted: st.mtimeMs < now - RACY_MS, project };
};

const writeAtomically = (file: string, text: string): void => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
};

/** Writes the cache; a failure (read-only checkout, full disk) only means the next load is cold. */
export const writeCompileCache = (root: string, key: string, record: CacheRecord): void => {
  try {
    const now = Date.now();
    const inputs: Input[] = [];
    const seen = new Set<string>();
    for (const { file, text, project } of record.read) {
      if (seen.has(file)) continue;
      seen.add(file);
      const input = inputOf(file, text, project === true, now);
      // A file read during the compile and gone now: nothing to vouch for, so no cache.
      if (input === undefined) return;
      inputs.push(input);
    }
    const cache: CacheFile = {
      format: FORMAT,
      key,
      inputs,
      absent: [...new Map(record.absent.map((a) => [a.path, a.config === true]))]
        .filter(([f]) => !fs.existsSync(f))
        .map(([f, config]) => ({ path: f, config })),
      dirs: [...new Set(record.dirs)].map((dir) => ({ dir, names: listing(dir) })),
      answers: { ...record.answers },
      warnings: [...record.warnings],
      seed: record.seed,
    };
    writeAtomically(compileCachePath(root), JSON.stringify(cache));
  } catch {
    // The cache is only a shortcut.
  }
};

/** The cached compile when everything it came from is unchanged, else undefined. */
export const readCompileCache = (root: string, key: string): CachedCompile | undefined => {
  let cache: CacheFile;
  try {
    cache = JSON.parse(fs.readFileSync(compileCachePath(root), "utf8")) as CacheFile;
  } catch {
    return undefined;
  }
  if (cache.format !== FORMAT || cache.key !== key) return undefined;
  if (cache.dirs.some((d) => listing(d.dir) !== d.names)) return undefined;
  let rehashed = false;
  let projectChanged = false;
  for (const input of cache.inputs) {
    const held = inputHolds(input);
    if (held === "changed") {
      if (!input.project) return undefined;
      projectChanged = true;
    } else if (held === "rehashed") rehashed = true;
  }
  const appeared = cache.absent.filter((a) => fs.existsSync(a.path));
  if (appeared.some((a) => a.config)) return undefined;
  // A project file edited, or a path an import looked for now there: the compile redoes what
  // that reaches (its imports are compared), from the seed.
  if (projectChanged || appeared.length > 0) return { kind: "seed", seed: cache.seed };
  if (rehashed) {
    // Stamps that were racy are settled now: record them, so the next use only stats.
    const now = Date.now();
    cache.inputs = cache.inputs.map((i) => {
      const st = statOrUndefined(i.file);
      return st && st.mtimeMs < now - RACY_MS ? { ...i, stamp: stampOf(st), trusted: true } : i;
    });
    try {
      writeAtomically(compileCachePath(root), JSON.stringify(cache));
    } catch {
      // Still a hit; the next use hashes again.
    }
  }
  const answers = cache.answers;
  return {
    kind: "hit",
    // The outputs are the seed's (kept once: they are most of the file).
    outputs: new Map(
      Object.entries(cache.seed)
        .filter(([, f]) => f.output !== "")
        .map(([file, f]) => [file, f.output]),
    ),
    answer: (name, from) => answers[from]?.[name],
    warnings: cache.warnings,
  };
};
