import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { MooseError } from "../errors";
import {
  affectedFiles,
  affectsOthers,
  sameList,
  snapshotProgram,
  withImporters,
  type ProgramSnapshot,
} from "./affected";
import type { CacheRecord } from "./compile-cache";
import { createLoaderHost } from "./compiler-host";
import { columnInjector, findConstructions, type Constructions } from "./inject-columns";
import { ModelScope, ScopeIndex, type ScopeSpans } from "./model-scope";
import { projectCompilerSetup } from "./project-tsconfig";
import { ResolutionRecord } from "./resolution-record";
import { createModuleResolver, inNodeModules, type ModuleResolver } from "./resolve-modules";
import { UserFileCache } from "./user-files";
import { warningText, withLoadWarnings, type ModelWarning } from "./warnings";

export interface CompiledProject {
  /** Emitted CommonJS per absolute source path. */
  outputs: Map<string, string>;
  /** Type errors outside the models, and problems in the project's tsconfig. */
  warnings: ModelWarning[];
  /** How imports were resolved; the runtime resolves them the same way. */
  resolver: ModuleResolver;
  /** The project files this compile type-checked and emitted (absolute paths). */
  recompiled: readonly string[];
  /** How many project files kept their earlier results. */
  reused: number;
  /**
   * What the model cache (compile-cache.ts) must find unchanged to reuse this compile: every
   * file it read, the paths looked for in vain, the type-root folders; undefined when a
   * resolution cannot be re-validated from the disk.
   */
  cacheInputs: () => Pick<CacheRecord, "read" | "absent" | "dirs"> | undefined;
  /** Every project file's results, for the model cache to seed a later process's compile. */
  seedFiles: () => Record<string, SeedFile>;
  /**
   * Every import the program resolved to a project file with output (importing file → import
   * text → file): the run-time answers a cached run needs, also for imports this run did not
   * take (a dynamic import behind a condition).
   */
  importAnswers: () => Record<string, Record<string, string>>;
}

/** Compiles the project again and again, redoing only what the changes since the last time can reach. */
export interface ProjectCompiler {
  /**
   * `changed`: files a watcher reported (hints: every project file is checked for changes).
   * `seed`: a previous process's results (the model cache), used by a first compile as a warm
   * compile uses its own: only what changed since, and what imports it, is redone.
   */
  compile(changed?: readonly string[], seed?: CompileSeed): CompiledProject;
}

/** A diagnostic as the model cache keeps it (its file is the one it is stored under). */
interface SavedDiagnostic {
  start?: number;
  length?: number;
  code: number;
  category: number;
  message: string;
}

/** What the model cache keeps of one project file's compile. */
export interface SeedFile {
  /** SHA-1 of the text the results are for. */
  hash: string;
  imports: readonly string[];
  /** A script, a global declaration or a module augmentation: a change redoes everything. */
  global: boolean;
  syntactic: readonly SavedDiagnostic[];
  semantic: readonly SavedDiagnostic[];
  scope: readonly (readonly [string, readonly { start: number; end: number }[]])[];
  output: string;
}

/** A previous compile's per-file results, valid while nothing outside the project changed. */
export type CompileSeed = Readonly<Record<string, SeedFile>>;

const textHash = (text: string): string => createHash("sha1").update(text).digest("hex");

const saveDiagnostic = (d: ts.Diagnostic): SavedDiagnostic => ({
  ...(d.start !== undefined ? { start: d.start } : {}),
  ...(d.length !== undefined ? { length: d.length } : {}),
  code: d.code,
  category: d.category,
  message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
});

const restoreDiagnostic = (d: SavedDiagnostic, file: ts.SourceFile): ts.Diagnostic => ({
  file,
  start: d.start,
  length: d.length,
  code: d.code,
  category: d.category,
  messageText: d.message,
});

/**
 * What a seed leaves to redo: the project files whose text or imports differ from the seed's,
 * and their importers; "all" when a global file changed (or appeared, or went).
 */
const affectedBySeed = (seed: CompileSeed, next: ProgramSnapshot): ReadonlySet<string> | "all" => {
  const changed = new Set<string>();
  for (const [file, sf] of next.project) {
    const old = seed[file];
    if (old === undefined || old.hash !== textHash(sf.text)) {
      if (affectsOthers(sf) || old?.global === true) return "all";
      changed.add(file);
    } else if (!sameList(old.imports, next.imports.get(file))) changed.add(file);
  }
  for (const [file, old] of Object.entries(seed))
    if (!next.project.has(file) && old.global) return "all";
  return withImporters(changed, next.imports);
};

/** What a compile keeps of one project file: valid while the file is not affected by a change. */
interface FileResult {
  /** Syntactic and semantic errors, in TypeScript's order. */
  syntactic: readonly ts.Diagnostic[];
  semantic: readonly ts.Diagnostic[];
  /** What the file's schema constructions make part of the models (in this and other files). */
  scope: ScopeSpans;
  /** Emitted CommonJS; absent until the file has been emitted after its last change. */
  output?: string;
}

/** Everything kept between compiles; thrown away whole when the compiler setup changes. */
interface State {
  setupKey: string;
  files: UserFileCache;
  resolutions: ResolutionRecord;
  /** The previous program: TypeScript reuses its structure and unchanged files' resolutions. */
  program: ts.Program | undefined;
  snapshot: ProgramSnapshot | undefined;
  results: Map<string, FileResult>;
}

const diagnosticWhere = (d: ts.Diagnostic, root: string): string | undefined => {
  if (!d.file || d.start === undefined) return undefined;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${path.relative(root, d.file.fileName)}:${line + 1}:${character + 1}`;
};

const diagnosticText = (d: ts.Diagnostic, root: string): string =>
  warningText({
    kind: "type-error",
    where: diagnosticWhere(d, root),
    message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
  });

/**
 * The folders whose listing decides which `@types` packages join the program: the configured
 * type roots, else every `node_modules/@types` from the root up (listed even when missing, so
 * one appearing is noticed). None when `types` names the packages.
 */
const typeRootDirs = (root: string, options: ts.CompilerOptions): string[] => {
  if (options.types !== undefined) return [];
  if (options.typeRoots !== undefined) return options.typeRoots.map((d) => path.resolve(root, d));
  const dirs: string[] = [];
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    dirs.push(path.join(dir, "node_modules", "@types"));
    if (path.dirname(dir) === dir) return dirs;
  }
};

/** typia's tags shim beside the SDK entry (`typia.ts` in dev, `typia.d.ts` when built). */
const typiaEntry = (sdkEntry: string): string =>
  sdkEntry.replace(/index(\.d)?\.ts$/, (_m, d: string | undefined) => `typia${d ?? ""}.ts`);

/** Whether `pos` is inside an import or re-export statement of `sf`. */
const inImportStatement = (sf: ts.SourceFile, pos: number): boolean =>
  sf.statements.some(
    (st) =>
      (ts.isImportDeclaration(st) ||
        ts.isExportDeclaration(st) ||
        ts.isImportEqualsDeclaration(st)) &&
      pos >= st.getStart(sf) &&
      pos < st.getEnd(),
  );

const errorsOnly = (ds: readonly ts.Diagnostic[]): ts.Diagnostic[] =>
  ds.filter((d) => d.category === ts.DiagnosticCategory.Error);

/**
 * The compiler options, and the stamps of the project's tsconfig.json and package.json: when any
 * of them changes, nothing kept from earlier compiles is trusted.
 */
const setupKeyOf = (root: string, options: ts.CompilerOptions, problems: ts.Diagnostic[]) => {
  const stamp = (name: string): string => {
    try {
      const st = fs.statSync(path.join(root, name));
      return `${st.mtimeMs}:${st.ctimeMs}:${st.size}:${st.ino}`;
    } catch {
      return "-";
    }
  };
  const messages = problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  return JSON.stringify([options, messages, stamp("tsconfig.json"), stamp("package.json")]);
};

/**
 * Type-checks the project with its own tsconfig and emits it, injecting into every
 * `new OlapTable<T>(name, config)` (and Stream / IngestPipeline / MaterializedView / View) the
 * columns of `T` as read by the type checker, the way Moose's compiler plugin does. Type errors
 * inside models (their row types, or the construction itself) fail with every error's
 * file:line; type errors elsewhere come back as warnings and loading goes on.
 *
 * Each compile builds a new program from the cached parses of unchanged files, then re-checks
 * and re-emits only the files a change can reach (see `affectedFiles`); the others' diagnostics,
 * model spans and output are kept. A first compile does everything, so the one-shot load and
 * a watch loop's loads go through the same code.
 */
export const createProjectCompiler = (
  entry: string,
  root: string,
  sdkEntry: string,
): ProjectCompiler => {
  const sdkDir = path.resolve(path.dirname(sdkEntry));
  const isUserFile = (file: string): boolean => !file.startsWith(sdkDir) && !inNodeModules(file);
  let state: State | undefined;

  const compile = (changed: readonly string[] = [], seed?: CompileSeed): CompiledProject => {
    const setup = projectCompilerSetup(root, sdkEntry, typiaEntry(sdkEntry));
    const options = setup.options;
    const setupKey = setupKeyOf(root, options, setup.problems);
    if (state?.setupKey !== setupKey)
      state = {
        setupKey,
        files: new UserFileCache(),
        resolutions: new ResolutionRecord(),
        program: undefined,
        snapshot: undefined,
        results: new Map(),
      };
    const { results, resolutions } = state;
    // The resolver memoises within one compile; across compiles, resolutions are kept only
    // while the record finds them valid.
    const resolver = createModuleResolver(setup.resolutionOptions, root);
    resolutions.startCompile();
    const host = createLoaderHost(options, resolver, sdkDir, {
      cache: state.files,
      hinted: new Set(changed.map((f) => path.resolve(root, f))),
      resolutions,
    });
    const program = ts.createProgram([entry], options, host, state.program);
    state.program = program;
    const snapshot = snapshotProgram(program, isUserFile, (file) => resolutions.importsOf(file));
    const userFiles = program
      .getSourceFiles()
      .filter((sf) => !sf.isDeclarationFile && isUserFile(path.resolve(sf.fileName)));
    const seeded = state.snapshot === undefined && seed !== undefined;
    const affected = seeded
      ? affectedBySeed(seed, snapshot)
      : affectedFiles(state.snapshot, snapshot);
    // From here on the kept results describe this program: a result is either still valid or
    // gone (and redone by the next compile if this one fails half-way).
    state.snapshot = snapshot;
    state.files.retainOnly(new Set(snapshot.project.keys()));
    resolutions.retainOnly(program.getSourceFiles().map((sf) => sf.fileName));
    for (const file of results.keys())
      if (affected === "all" || affected.has(file) || !snapshot.project.has(file))
        results.delete(file);
    if (seeded && affected !== "all")
      for (const sf of userFiles) {
        const file = path.resolve(sf.fileName);
        const kept = seed[file];
        if (kept === undefined || affected.has(file)) continue;
        results.set(file, {
          syntactic: kept.syntactic.map((d) => restoreDiagnostic(d, sf)),
          semantic: kept.semantic.map((d) => restoreDiagnostic(d, sf)),
          scope: new Map(kept.scope.map(([f, spans]) => [f, [...spans]])),
          output: kept.output,
        });
      }
    const redo = userFiles.filter(
      (sf) => results.get(path.resolve(sf.fileName))?.output === undefined,
    );

    // Every schema construction of the files to redo, found once: the scope of blocking errors
    // and the transformer below both work from it.
    const checker = program.getTypeChecker();
    // Taken before any file is checked: what checking adds to them depends on which files a
    // compile re-checks, and a warm compile must report what a cold one does.
    const programProblems = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    const constructions: Constructions = new Map();
    const scopes = redo.map((sf) => {
      const scope = new ModelScope(checker, isUserFile);
      findConstructions(checker, sf, sdkDir, scope, constructions);
      return scope.recorded();
    });
    redo.forEach((sf, i) => {
      const file = path.resolve(sf.fileName);
      const kept = results.get(file);
      results.set(file, {
        syntactic: kept?.syntactic ?? errorsOnly(program.getSyntacticDiagnostics(sf)),
        semantic: kept?.semantic ?? errorsOnly(program.getSemanticDiagnostics(sf)),
        scope: scopes[i]!,
      });
    });

    const scope = new ScopeIndex(
      userFiles.map((sf) => results.get(path.resolve(sf.fileName))!.scope),
    );
    const blocking: ts.Diagnostic[] = [];
    const warnings: ModelWarning[] = [];
    const warn = (d: ts.Diagnostic, kind: ModelWarning["kind"] = "type-error") =>
      warnings.push({
        kind,
        where: diagnosticWhere(d, root),
        message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
      });
    for (const d of setup.problems) warn(d, "tsconfig");
    for (const d of programProblems)
      if (d.category === ts.DiagnosticCategory.Error) warn(d, "tsconfig");
    for (const sf of userFiles) {
      const file = path.resolve(sf.fileName);
      const result = results.get(file)!;
      for (const d of result.syntactic)
        if (scope.touches(file)) blocking.push(d);
        else warn(d);
      for (const d of result.semantic) {
        // An import that fails in a file declaring a model (a missing module, a renamed export)
        // turns the row types it feeds into error types: it blocks like an error in the model.
        const blocks =
          d.start !== undefined &&
          (scope.contains(file, d.start) ||
            (scope.touches(file) && inImportStatement(sf, d.start)));
        if (blocks) blocking.push(d);
        else warn(d);
      }
    }
    if (blocking.length > 0) {
      throw new MooseError(
        "MODEL_TYPE_ERROR",
        `The models have ${blocking.length} type error(s):\n  ${blocking.map((d) => diagnosticText(d, root)).join("\n  ")}`,
        {
          hint: "Fix the TypeScript errors above: they are in types that become columns, or in a table, stream or view declaration, so the tool cannot read them.",
        },
      );
    }

    const transformer = columnInjector(checker, constructions, root);
    try {
      for (const sf of redo) {
        const result = results.get(path.resolve(sf.fileName))!;
        program.emit(
          sf,
          (fileName, text) => {
            // .js, and .mjs/.cjs for .mts/.cts sources; never .map or declarations.
            if (/\.[mc]?js$/.test(fileName)) result.output = text;
          },
          undefined,
          false,
          { before: [transformer] },
        );
        // A file with no JavaScript output (JSON) is done too.
        result.output ??= "";
      }
    } catch (e) {
      throw withLoadWarnings(e, warnings);
    }
    const outputs = new Map<string, string>();
    for (const sf of userFiles) {
      const file = path.resolve(sf.fileName);
      const output = results.get(file)?.output;
      if (output) outputs.set(file, output);
    }
    return {
      outputs,
      warnings,
      // At run time, imports the program resolved get the program's answers.
      resolver: (name, from) => {
        const known = resolutions.answer(from, name);
        return known ? known.resolved : resolver(name, from);
      },
      recompiled: redo.map((sf) => path.resolve(sf.fileName)),
      reused: userFiles.length - redo.length,
      importAnswers: () => {
        const out: Record<string, Record<string, string>> = {};
        for (const from of outputs.keys())
          for (const [name, file] of resolutions.resolvedImportsOf(from))
            if (outputs.has(file)) (out[from] ??= {})[name] = file;
        return out;
      },
      seedFiles: () => {
        const out: Record<string, SeedFile> = {};
        for (const sf of userFiles) {
          const file = path.resolve(sf.fileName);
          const result = results.get(file);
          if (result?.output === undefined) continue;
          out[file] = {
            hash: textHash(sf.text),
            imports: snapshot.imports.get(file) ?? [],
            global: affectsOthers(sf),
            syntactic: result.syntactic.map(saveDiagnostic),
            semantic: result.semantic.map(saveDiagnostic),
            scope: [...result.scope].map(([f, spans]) => [f, [...spans]] as const),
            output: result.output,
          };
        }
        return out;
      },
      cacheInputs: () => {
        const lookups = resolutions.lookups();
        if (lookups === undefined) return undefined;
        const read: { file: string; text?: string; project?: boolean }[] = program
          .getSourceFiles()
          .filter((sf) => !program.isSourceFileDefaultLibrary(sf))
          .map((sf) => {
            const file = path.resolve(sf.fileName);
            return { file, text: sf.text, project: isUserFile(file) };
          });
        const absent: { path: string; config?: boolean }[] = [
          ...setup.inputs.absent.map((f) => ({ path: f, config: true })),
          ...lookups.absent.map((f) => ({ path: f })),
        ];
        for (const file of [...setup.inputs.read, ...lookups.read]) read.push({ file });
        // The root package.json is part of the compiler setup (setupKeyOf).
        const manifest = path.join(root, "package.json");
        if (fs.existsSync(manifest)) read.push({ file: manifest });
        else absent.push({ path: manifest, config: true });
        return { read, absent, dirs: typeRootDirs(root, options) };
      },
    };
  };
  return { compile };
};
