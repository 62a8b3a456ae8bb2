import path from "node:path";
import ts from "typescript";

/** What one load's program was made of: enough to tell what the next load must redo. */
export interface ProgramSnapshot {
  /** The project's files (declaration files included) by absolute path. */
  project: ReadonlyMap<string, ts.SourceFile>;
  /** Each project file's resolved imports and `/// <reference path>` targets (absolute). */
  imports: ReadonlyMap<string, readonly string[]>;
  /** Files outside the project: TypeScript's libs, the SDK, node_modules declarations. */
  external: ReadonlySet<ts.SourceFile>;
}

export const snapshotProgram = (
  program: ts.Program,
  isProjectFile: (file: string) => boolean,
  importsOf: (file: string) => readonly string[],
): ProgramSnapshot => {
  const project = new Map<string, ts.SourceFile>();
  const imports = new Map<string, readonly string[]>();
  const external = new Set<ts.SourceFile>();
  for (const sf of program.getSourceFiles()) {
    const file = path.resolve(sf.fileName);
    if (!isProjectFile(file)) {
      external.add(sf);
      continue;
    }
    project.set(file, sf);
    const references = sf.referencedFiles.map((r) => path.resolve(path.dirname(file), r.fileName));
    imports.set(file, [...importsOf(file), ...references]);
  }
  return { project, imports, external };
};

/**
 * Whether a file's declarations are visible beyond its importers: a script (no import or
 * export: its declarations are global), or a module with `declare global { … }` or
 * `declare module "…" { … }` (augmenting another module for everyone). A JSON file is only ever
 * seen through its importers.
 */
export const affectsOthers = (sf: ts.SourceFile): boolean =>
  (!ts.isExternalModule(sf) && path.extname(sf.fileName) !== ".json") ||
  sf.statements.some(
    (st) =>
      ts.isModuleDeclaration(st) &&
      (ts.isStringLiteral(st.name) || (st.flags & ts.NodeFlags.GlobalAugmentation) !== 0),
  );

export const sameList = (
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The project files whose type-check results and emitted code may differ from the previous
 * load's, or "all". A file's diagnostics and output (which embeds columns read from types
 * anywhere in its imports) depend only on its own text, the files it imports transitively and
 * the global declarations. So: the files that changed (new text, or imports resolving
 * elsewhere), and every file that imports one of them, directly or not. A change that can reach
 * files without being imported (global declarations, module augmentations, another lib or
 * package declaration) redoes everything. Deliberately coarser than TypeScript's builder,
 * which stops at importers whose exported shape did not change: our output also depends on the
 * structure of types re-exported unchanged.
 */
export const affectedFiles = (
  prev: ProgramSnapshot | undefined,
  next: ProgramSnapshot,
): ReadonlySet<string> | "all" => {
  if (!prev || prev.external.size !== next.external.size) return "all";
  for (const sf of next.external) if (!prev.external.has(sf)) return "all";
  const changed = new Set<string>();
  for (const [file, sf] of next.project) {
    const old = prev.project.get(file);
    if (old !== sf) {
      if (affectsOthers(sf) || (old && affectsOthers(old))) return "all";
      changed.add(file);
    } else if (!sameList(prev.imports.get(file), next.imports.get(file))) changed.add(file);
  }
  // A deleted file is seen through its importers (their imports resolve elsewhere now), unless
  // it was global.
  for (const [file, sf] of prev.project)
    if (!next.project.has(file) && affectsOthers(sf)) return "all";

  return withImporters(changed, next.imports);
};

/** `changed` and every file importing one of them, transitively (grows and returns `changed`). */
export const withImporters = (
  changed: Set<string>,
  imports: ReadonlyMap<string, readonly string[]>,
): Set<string> => {
  const importers = new Map<string, string[]>();
  for (const [file, deps] of imports)
    for (const dep of deps) {
      const list = importers.get(dep);
      if (list) list.push(file);
      else importers.set(dep, [file]);
    }
  const queue = [...changed];
  for (let file = queue.pop(); file !== undefined; file = queue.pop())
    for (const importer of importers.get(file) ?? [])
      if (!changed.has(importer)) {
        changed.add(importer);
        queue.push(importer);
      }
  return changed;
};
