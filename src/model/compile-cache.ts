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
import type { ModelWarning } from "./warnings";

const FORMAT = 1;

/** What a compile hands over to be cached. */
export interface CacheRecord {
  /** Every file whose content the compile depended on, with that content when it has it. */
  read: readonly { file: string; text?: string }[];
  /** Paths looked for and not found. */
  absent: readonly string[];
  /** Directories whose listing decided what the program includes (type roots). */
  dirs: readonly string[];
  /** Emitted JavaScript by absolute source path. */
  outputs: ReadonlyMap<string, string>;
  /** Run-time answers: importing file → import text → resolved project file. */
  answers: Readonly<Record<string, Readonly<Record<string, string>>>>;
  warnings: readonly ModelWarning[];
}

interface Input {
  file: string;
  hash: string;
  stamp: string;
  /** Whether the stamp alone can be trusted (the file was not modified just before writing). */
  trusted: boolean;
}

interface CacheFile {
  format: number;
  key: string;
  inputs: Input[];
  absent: string[];
  dirs: { dir: string; names: string }[];
  outputs: [string, string][];
  answers: Record<string, Record<string, string>>;
  warnings: ModelWarning[];
}

/** A cache hit: what the run step needs. */
export interface CachedCompile {
  outputs: Map<string, string>;
  /** The import's resolved project file, or undefined (Node resolves it at run time). */
  answer: (name: string, from: string) => string | undefined;
  warnings: ModelWarning[];
}

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

/** Whether each input still has its recorded content; reads only what the stamp cannot vouch for. */
const inputsHold = (inputs: readonly Input[]): { hold: boolean; rehashed: boolean } => {
  let rehashed = false;
  for (const input of inputs) {
    const st = statOrUndefined(input.file);
    if (st === undefined) return { hold: false, rehashed };
    if (input.trusted && stampOf(st) === input.stamp) continue;
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(input.file);
    } catch {
      return { hold: false, rehashed };
    }
    if (sha1(bytes) !== input.hash) return { hold: false, rehashed };
    rehashed = true;
  }
  return { hold: true, rehashed };
};

const inputOf = (file: string, text: string | undefined, now: number): Input | undefined => {
  const st = statOrUndefined(file);
  if (st === undefined) return undefined;
  let bytes: Buffer | string;
  try {
    bytes = text ?? fs.readFileSync(file);
  } catch {
    return undefined;
  }
  // A parsed text is the file's bytes decoded; hash the bytes when the decoding could differ
  // (a byte-order mark, invalid UTF-8), so the check compares like with like.
  const hash =
    typeof bytes === "string" && Buffer.byteLength(bytes) === st.size
      ? sha1(Buffer.from(bytes))
      : sha1(typeof bytes === "string" ? fs.readFileSync(file) : bytes);
  return { file, hash, stamp: stampOf(st), trusted: st.mtimeMs < now - RACY_MS };
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
    for (const { file, text } of record.read) {
      if (seen.has(file)) continue;
      seen.add(file);
      const input = inputOf(file, text, now);
      // A file read during the compile and gone now: nothing to vouch for, so no cache.
      if (input === undefined) return;
      inputs.push(input);
    }
    const cache: CacheFile = {
      format: FORMAT,
      key,
      inputs,
      absent: [...new Set(record.absent)].filter((f) => !fs.existsSync(f)),
      dirs: [...new Set(record.dirs)].map((dir) => ({ dir, names: listing(dir) })),
      outputs: [...record.outputs],
      answers: { ...record.answers },
      warnings: [...record.warnings],
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
  if (cache.absent.some((f) => fs.existsSync(f))) return undefined;
  if (cache.dirs.some((d) => listing(d.dir) !== d.names)) return undefined;
  const { hold, rehashed } = inputsHold(cache.inputs);
  if (!hold) return undefined;
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
    outputs: new Map(cache.outputs),
    answer: (name, from) => answers[from]?.[name],
    warnings: cache.warnings,
  };
};
