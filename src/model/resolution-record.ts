import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import type { Lookups } from "./resolve-modules";
import { RACY_MS, stampOf } from "./file-stamp";

interface Resolution {
  resolved: ts.ResolvedModuleFull | undefined;
  lookups: Lookups;
}

interface FileResolutions {
  byName: Map<string, Resolution>;
  /** Stamps of the files the resolutions read, when they were recorded. */
  read: Map<string, string | undefined>;
}

/** A file's key as TypeScript's paths are (lower-cased on case-insensitive file systems). */
const keyOf = (file: string): string => {
  const resolved = path.resolve(file);
  return ts.sys.useCaseSensitiveFileNames ? resolved : resolved.toLowerCase();
};

const statStamp = (file: string): { stamp: string; mtimeMs: number } | undefined => {
  try {
    const st = fs.statSync(file);
    return { stamp: stampOf(st), mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
};

/**
 * How each project file's imports resolved, kept across loads. TypeScript reuses an unchanged
 * file's resolutions from the previous program unless the host says they may be stale; this
 * record answers that from the disk (a path an import was looked for now exists, a package.json
 * it read changed, or the answer was volatile), and gives the import graph and the run time's
 * answers without resolving anything again.
 */
export class ResolutionRecord {
  private readonly files = new Map<string, FileResolutions>();
  /** This compile's disk answers (each path stat'ed once per compile). */
  private exists = new Map<string, boolean>();
  private stamps = new Map<string, string | undefined>();
  private recordedThisCompile = new Set<string>();

  /** Forgets the disk answers of the previous compile. */
  startCompile(): void {
    this.exists = new Map();
    this.stamps = new Map();
    this.recordedThisCompile = new Set();
  }

  /**
   * Records the resolutions TypeScript asked for. `reused`: names whose earlier resolution it
   * kept (they stay recorded); any other name not asked again is no longer imported.
   */
  record(
    containingFile: string,
    answers: readonly (readonly [string, Resolution])[],
    reused: readonly string[],
  ): void {
    const file = keyOf(containingFile);
    const earlier = this.files.get(file);
    const byName = new Map<string, Resolution>();
    if (this.recordedThisCompile.has(file) && earlier)
      for (const [n, r] of earlier.byName) byName.set(n, r);
    for (const name of reused) {
      const kept = earlier?.byName.get(name);
      if (kept) byName.set(name, kept);
    }
    for (const [name, resolution] of answers) byName.set(name, resolution);
    const recordedAt = Date.now();
    const read = new Map<string, string | undefined>();
    for (const r of byName.values())
      if (r.lookups !== "volatile")
        for (const f of r.lookups.read) {
          const st = statStamp(f);
          // A file changed within the clock's resolution of now cannot be trusted later.
          read.set(f, st && st.mtimeMs < recordedAt - RACY_MS ? st.stamp : undefined);
        }
    this.files.set(file, { byName, read });
    this.recordedThisCompile.add(file);
  }

  /** Whether `file`'s recorded resolutions may no longer hold. */
  invalidated(file: string): boolean {
    const rec = this.files.get(keyOf(file));
    if (!rec) return false;
    for (const r of rec.byName.values()) {
      if (r.lookups === "volatile") return true;
      if (r.lookups.absent.some((f) => this.existsNow(f))) return true;
    }
    for (const [f, stamp] of rec.read)
      if (stamp === undefined || this.stampNow(f) !== stamp) return true;
    return false;
  }

  /** The recorded answer for `name` imported from `file`; undefined when never asked. */
  answer(file: string, name: string): Resolution | undefined {
    return this.files.get(keyOf(file))?.byName.get(name);
  }

  /** Every import text `file` resolved, with the absolute file it resolved to. */
  resolvedImportsOf(file: string): [string, string][] {
    const rec = this.files.get(keyOf(file));
    if (!rec) return [];
    return [...rec.byName].flatMap(([name, r]) =>
      r.resolved ? [[name, path.resolve(r.resolved.resolvedFileName)] as [string, string]] : [],
    );
  }

  /** The files `file` imports (resolved, absolute, sorted). */
  importsOf(file: string): string[] {
    const rec = this.files.get(keyOf(file));
    if (!rec) return [];
    return [...rec.byName.values()]
      .flatMap((r) => (r.resolved ? [path.resolve(r.resolved.resolvedFileName)] : []))
      .sort();
  }

  /**
   * Where every recorded resolution looked, for the model cache: the paths that must stay
   * absent and the files (package.json) that must keep their content; undefined when one of
   * them is volatile (it cannot be re-validated from the disk alone).
   */
  lookups(): { absent: string[]; read: string[] } | undefined {
    const absent: string[] = [];
    const read: string[] = [];
    for (const rec of this.files.values())
      for (const r of rec.byName.values()) {
        if (r.lookups === "volatile") return undefined;
        absent.push(...r.lookups.absent);
        read.push(...r.lookups.read);
      }
    return { absent, read };
  }

  /** Drops files no longer in the program. */
  retainOnly(files: Iterable<string>): void {
    const keep = new Set([...files].map(keyOf));
    for (const file of this.files.keys()) if (!keep.has(file)) this.files.delete(file);
  }

  private existsNow(file: string): boolean {
    let known = this.exists.get(file);
    if (known === undefined) {
      known = fs.existsSync(file);
      this.exists.set(file, known);
    }
    return known;
  }

  private stampNow(file: string): string | undefined {
    if (!this.stamps.has(file)) this.stamps.set(file, statStamp(file)?.stamp);
    return this.stamps.get(file);
  }
}
