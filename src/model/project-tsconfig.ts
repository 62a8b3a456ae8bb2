import path from "node:path";
import ts from "typescript";

/** A compiler-option problem in the project's tsconfig: reported as a warning, never fatal. */
export interface TsconfigProblem {
  file: string | undefined;
  message: string;
}

export interface ProjectCompilerSetup {
  options: ts.CompilerOptions;
  /** The tsconfig that was read (absolute), if the project has one. */
  configFile: string | undefined;
  problems: TsconfigProblem[];
}

const MOOSE_LIB = "@514labs/moose-lib";

/** Module resolutions that need an ES `module` setting; with CommonJS emit they fall back to Node10. */
const ESM_ONLY_RESOLUTION = new Set([ts.ModuleResolutionKind.Bundler]);
const NODE_NEXT_RESOLUTION = new Set([
  ts.ModuleResolutionKind.Node16,
  ts.ModuleResolutionKind.NodeNext,
]);

/**
 * The compiler options the loader type-checks and emits the user's code with: the project's own
 * `tsconfig.json` (with `extends`, `paths`, `baseUrl`, module resolution and strictness), adjusted
 * only where the loader needs it:
 * - emit goes to memory as CommonJS (the loader runs the modules in this process);
 * - `strictNullChecks` is on, because `field?: T` / `T | undefined` decide a column's
 *   nullability and the checker erases them without it;
 * - `@514labs/moose-lib` (and its subpaths) and `typia` resolve to our SDK, even when the real
 *   packages are installed in the project.
 * Without a tsconfig the defaults are Moose's template settings (strict, ES2022, CommonJS).
 */
export const projectCompilerSetup = (
  root: string,
  sdkEntry: string,
  typiaEntry: string,
): ProjectCompilerSetup => {
  const problems: TsconfigProblem[] = [];
  const configFile = ts.findConfigFile(root, (f) => ts.sys.fileExists(f), "tsconfig.json");
  // Only a tsconfig inside the project counts: one found above the project root belongs to
  // something else (a monorepo's root config is still read through `extends`).
  const ownConfig =
    configFile && path.dirname(path.resolve(configFile)) === path.resolve(root)
      ? path.resolve(configFile)
      : undefined;
  let base: ts.CompilerOptions = { strict: true, target: ts.ScriptTarget.ES2022 };
  if (ownConfig) {
    const read = ts.readConfigFile(ownConfig, (f) => ts.sys.readFile(f));
    if (read.error) {
      problems.push(problemOf(read.error));
    } else {
      const parsed = ts.parseJsonConfigFileContent(
        read.config,
        ts.sys,
        path.dirname(ownConfig),
        undefined,
        ownConfig,
      );
      // "No inputs were found" (TS18003) is irrelevant: the loader names its own root file.
      for (const e of parsed.errors) if (e.code !== 18003) problems.push(problemOf(e));
      base = parsed.options;
    }
  }

  const options: ts.CompilerOptions = { ...base };
  // Emit to memory, as CommonJS, with nothing that needs an output layout or a build cache.
  for (const key of [
    "outDir",
    "outFile",
    "rootDir",
    "declarationDir",
    "tsBuildInfoFile",
    "sourceRoot",
    "mapRoot",
    "allowImportingTsExtensions",
    "plugins",
  ] as const)
    delete options[key];
  Object.assign(options, {
    noEmit: false,
    emitDeclarationOnly: false,
    declaration: false,
    declarationMap: false,
    composite: false,
    incremental: false,
    sourceMap: false,
    inlineSourceMap: false,
    noEmitOnError: false,
    skipLibCheck: true,
    strictNullChecks: true,
    experimentalDecorators: options.experimentalDecorators ?? true,
    esModuleInterop: options.esModuleInterop ?? true,
  } satisfies ts.CompilerOptions);
  if (options.target === undefined || options.target < ts.ScriptTarget.ES2020)
    options.target = ts.ScriptTarget.ES2022;
  const resolution = options.moduleResolution;
  if (resolution !== undefined && NODE_NEXT_RESOLUTION.has(resolution)) {
    // Node16/NodeNext pick CommonJS or ESM per file from package.json "type"; Moose projects are CommonJS.
    options.module =
      resolution === ts.ModuleResolutionKind.Node16 ? ts.ModuleKind.Node16 : ts.ModuleKind.NodeNext;
  } else {
    options.module = ts.ModuleKind.CommonJS;
    if (resolution === undefined || ESM_ONLY_RESOLUTION.has(resolution))
      options.moduleResolution = ts.ModuleResolutionKind.Node10;
  }
  if (options.module !== ts.ModuleKind.CommonJS) delete options.verbatimModuleSyntax;

  // Our SDK answers for moose-lib and typia. Absolute targets work whatever `baseUrl` is.
  options.paths = {
    ...(options.paths ?? {}),
    [MOOSE_LIB]: [sdkEntry],
    [`${MOOSE_LIB}/*`]: [sdkEntry],
    typia: [typiaEntry],
  };
  if (options.baseUrl === undefined && options.pathsBasePath === undefined)
    options.pathsBasePath = path.resolve(root);
  return { options, configFile: ownConfig, problems };
};

const problemOf = (d: ts.Diagnostic): TsconfigProblem => ({
  file: d.file?.fileName,
  message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
});

export { MOOSE_LIB };
