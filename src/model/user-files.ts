import fs from "node:fs";
import ts from "typescript";
import { RACY_MS, stampOf } from "./file-stamp";

interface Entry {
  stamp: string;
  mtimeMs: number;
  readAt: number;
  /** What the parse depends on besides the text (language version, module format). */
  parseKey: string;
  sourceFile: ts.SourceFile;
}

const parseKeyOf = (opts: ts.ScriptTarget | ts.CreateSourceFileOptions): string =>
  typeof opts === "object"
    ? `${opts.languageVersion}:${String(opts.impliedNodeFormat)}:${String(opts.jsDocParsingMode)}`
    : String(opts);

/**
 * The project's own source files, parsed once per content version. A long-lived loader hands the
 * same `ts.SourceFile` object to every program while the file is unchanged: TypeScript then
 * skips parsing and binding it, and the loader can tell changed files by identity. Whether a
 * file changed is decided from the disk every time (stamp, else content), never from what a
 * watcher reported.
 */
export class UserFileCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * The parsed file, or undefined when it cannot be read (deleted). `recheck` compares the
   * content even when the stamp is trusted (a watcher said the file changed).
   */
  get(
    file: string,
    fileName: string,
    opts: ts.ScriptTarget | ts.CreateSourceFileOptions,
    recheck = false,
  ): ts.SourceFile | undefined {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      this.entries.delete(file);
      return undefined;
    }
    const stamp = stampOf(st);
    const parseKey = parseKeyOf(opts);
    const hit = this.entries.get(file);
    const usable = hit !== undefined && hit.parseKey === parseKey;
    if (usable && !recheck && hit.stamp === stamp && hit.mtimeMs < hit.readAt - RACY_MS)
      return hit.sourceFile;
    const readAt = Date.now();
    const text = ts.sys.readFile(file);
    if (text === undefined) {
      this.entries.delete(file);
      return undefined;
    }
    const sourceFile =
      usable && hit.sourceFile.text === text
        ? hit.sourceFile
        : ts.createSourceFile(fileName, text, opts);
    this.entries.set(file, { stamp, mtimeMs: st.mtimeMs, readAt, parseKey, sourceFile });
    return sourceFile;
  }

  /** Drops files no longer in the program (deleted, or no longer imported). */
  retainOnly(files: ReadonlySet<string>): void {
    for (const file of this.entries.keys()) if (!files.has(file)) this.entries.delete(file);
  }
}
