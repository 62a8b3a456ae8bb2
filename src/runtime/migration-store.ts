import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { MooseError, filesystemError, onDisk } from "../errors";
import {
  parseMigrationFile,
  serializeMigrationFile,
  type MigrationFile,
} from "../core/migration-file";

export interface StoredMigration {
  file: MigrationFile;
  path: string;
  /** SHA-256 of the file's bytes. */
  checksum: string;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * What the journal records of a file: the SHA-256 of its canonical serialization, so a
 * reformatting that changes no content (line endings, quoting, key order) is not a change.
 * For the files this tool writes it equals the byte checksum (they are written canonical), so
 * the YAML is serialized only for files written by hand or by another tool.
 */
export const journalChecksum = (m: StoredMigration): string => {
  // Asked for again by the history check and by apply: one serialization per file.
  let sum = canonicalSums.get(m.file);
  if (sum === undefined) {
    sum = sha256(serializeMigrationFile(m.file));
    canonicalSums.set(m.file, sum);
  }
  return sum;
};

const canonicalSums = new WeakMap<MigrationFile, string>();

/** Whether a checksum the journal holds (byte or canonical, older journals hold bytes) is this file's. */
export const checksumMatches = (m: StoredMigration, journaled: string): boolean =>
  journaled === m.checksum || journaled === journalChecksum(m);

export const MIGRATIONS_DIR = "migrations";
const NOT_COMMITTED = new Set(["pending.yaml", "plan.yaml"]);

/** Committed delta files in id order (`pending.yaml` and legacy `plan.yaml` are not committed files). */
export const readMigrations = (root: string): StoredMigration[] => {
  const dir = path.join(root, MIGRATIONS_DIR);
  if (!fs.existsSync(dir)) return [];
  const out: StoredMigration[] = [];
  const names = onDisk("read the migrations directory", dir, () => fs.readdirSync(dir));
  for (const name of names.sort()) {
    if (!/\.ya?ml$/.test(name) || NOT_COMMITTED.has(name)) continue;
    const p = path.join(dir, name);
    const rel = path.join(MIGRATIONS_DIR, name);
    const text = onDisk("read the migration file", rel, () => fs.readFileSync(p, "utf8"));
    const file = parseMigrationFile(text, rel);
    if (name.replace(/\.ya?ml$/, "") !== file.id) {
      throw new MooseError(
        "MIGRATION_FILE_INVALID",
        `Migration file ${rel} has id '${file.id}', which does not match its file name`,
        {
          hint: `Rename the file to ${file.id}.yaml or fix its id (ids order the files and key the journal).`,
        },
      );
    }
    out.push({ file, path: p, checksum: sha256(text) });
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.file.id))
      throw new MooseError(
        "MIGRATION_FILE_INVALID",
        `Two migration files share the id '${m.file.id}'`,
        { hint: "Keep one of them." },
      );
    seen.add(m.file.id);
  }
  return out.sort((a, b) => (a.file.id < b.file.id ? -1 : 1));
};

export const writeMigration = (
  root: string,
  file: MigrationFile,
  /** The file's text when the caller already rendered (and read back) it. */
  text: string = serializeMigrationFile(file),
): string => {
  const dir = path.join(root, MIGRATIONS_DIR);
  onDisk("create the migrations directory", dir, () => fs.mkdirSync(dir, { recursive: true }));
  const p = path.join(dir, `${file.id}.yaml`);
  try {
    fs.writeFileSync(p, text, { flag: "wx" });
  } catch (e) {
    // A disk that filled up half-way must not leave half a file that later reads as corrupt.
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") fs.rmSync(p, { force: true });
    throw filesystemError(e, "write the migration file", p);
  }
  return p;
};

export const PENDING_FILE = "pending.yaml";

/** What keeping `migrations/pending.yaml` current did. */
export type PendingWrite = "written" | "removed" | "unchanged";

/**
 * Writes `migrations/pending.yaml` (or removes it when there is nothing pending). A file whose
 * content is the same but for `created_at` is left alone, so an unrelated save does not touch
 * it. Written to a temporary name and renamed, so a reader never sees half a file.
 */
export const writePending = (root: string, file: MigrationFile | undefined): PendingWrite => {
  const p = path.join(root, MIGRATIONS_DIR, PENDING_FILE);
  return onDisk("write", p, () => writePendingFile(p, file));
};

const writePendingFile = (p: string, file: MigrationFile | undefined): PendingWrite => {
  const existing = fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined;
  if (file === undefined) {
    if (existing === undefined) return "unchanged";
    fs.rmSync(p, { force: true });
    return "removed";
  }
  const text = serializeMigrationFile(file);
  const withoutTime = (t: string) => t.replace(/^created_at:.*$/m, "");
  if (existing !== undefined && withoutTime(existing) === withoutTime(text)) return "unchanged";
  fs.mkdirSync(path.dirname(p), { recursive: true });
  const tmp = `${p}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, p);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return "written";
};

/**
 * Creates the embedded engine's data directory (chDB would fail later with an opaque "failed
 * to create connection") and checks it is writable, so a path under a file, a directory
 * without permission or a read-only disk is said as such with the path.
 */
export const prepareEngineDir = (dir: string): void => {
  if (dir === ":memory:") return;
  onDisk("create the embedded database directory", dir, () => {
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory())
      throw new MooseError(
        "FILESYSTEM_ERROR",
        `The embedded database path ${dir} is a file, not a directory`,
        {
          hint: `chdb://<path> names a directory the engine keeps its data in: move the file away, or point --clickhouse-url at another path (e.g. chdb://.moose/clickhouse).`,
        },
      );
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  });
};
