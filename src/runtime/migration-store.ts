import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { MooseError } from "../errors";
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
  const canonical = serializeMigrationFile(m.file);
  return sha256(canonical);
};

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
  for (const name of fs.readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(name) || NOT_COMMITTED.has(name)) continue;
    const p = path.join(dir, name);
    const text = fs.readFileSync(p, "utf8");
    const rel = path.join(MIGRATIONS_DIR, name);
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

export const writeMigration = (root: string, file: MigrationFile): string => {
  const dir = path.join(root, MIGRATIONS_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, `${file.id}.yaml`);
  fs.writeFileSync(p, serializeMigrationFile(file), { flag: "wx" });
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
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, p);
  return "written";
};
