import path from "node:path";
import ts from "typescript";
import { MOOSE_LIB } from "./moose-lib-name";

export interface ProjectCompilerSetup {
  /** What the code is checked and emitted with (always CommonJS). */
  options: ts.CompilerOptions;
  /**
   * What imports are resolved with: the project's own module resolution (Node10, Node16,
   * NodeNext or Bundler, with package.json `exports`), independent of the CommonJS emit.
   */
  resolutionOptions: ts.CompilerOptions;
  /** Problems in the project's tsconfig: reported as warnings, never fatal. */
  problems: ts.Diagnostic[];
  /** The config files read (tsconfig.json and what it extends), and those looked for in vain. */
  inputs: { read: string[]; absent: string[] };
}

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
  const problems: ts.Diagnostic[] = [];
  // Only the project's own tsconfig counts: one above the project root belongs to something
  // else (a monorepo's root config is still read through `extends`).
  const config = path.resolve(root, "tsconfig.json");
  const inputs = { read: [] as string[], absent: [] as string[] };
  // The config host records what it reads, for the model cache (compile-cache.ts).
  const configHost: ts.ParseConfigHost = {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    readDirectory: (...args) => ts.sys.readDirectory(...args),
    fileExists: (f) => {
      const exists = ts.sys.fileExists(f);
      (exists ? inputs.read : inputs.absent).push(path.resolve(f));
      return exists;
    },
    readFile: (f) => {
      inputs.read.push(path.resolve(f));
      return ts.sys.readFile(f);
    },
  };
  const ownConfig = configHost.fileExists(config) ? config : undefined;
  let base: ts.CompilerOptions = { strict: true, target: ts.ScriptTarget.ES2022 };
  if (ownConfig) {
    const read = ts.readConfigFile(ownConfig, (f) => configHost.readFile(f));
    if (read.error) {
      problems.push(read.error);
    } else {
      const parsed = ts.parseJsonConfigFileContent(
        read.config,
        configHost,
        path.dirname(ownConfig),
        undefined,
        ownConfig,
      );
      // "No inputs were found" (TS18003) is irrelevant: the loader names its own root file.
      problems.push(...parsed.errors.filter((e) => e.code !== 18003));
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
    // Inline maps let a model that throws while loading be reported at its TypeScript line.
    inlineSourceMap: true,
    inlineSources: false,
    noEmitOnError: false,
    skipLibCheck: true,
    strictNullChecks: true,
    experimentalDecorators: options.experimentalDecorators ?? true,
    esModuleInterop: options.esModuleInterop ?? true,
  } satisfies ts.CompilerOptions);
  if (options.target === undefined || options.target < ts.ScriptTarget.ES2020)
    options.target = ts.ScriptTarget.ES2022;
  // The loader runs what it emits in this process, so it always emits CommonJS, whatever the
  // project's `module` and package.json "type" are (a "type": "module" project included).
  // Imports are resolved separately with the project's own resolution (see resolutionOptions).
  const projectModule = options.module;
  const projectResolution = options.moduleResolution;
  options.module = ts.ModuleKind.CommonJS;
  options.moduleResolution = ts.ModuleResolutionKind.Node10;
  delete options.verbatimModuleSyntax;
  delete options.isolatedModules;
  // Preserved JSX would emit .jsx files Node cannot run.
  if (options.jsx === ts.JsxEmit.Preserve || options.jsx === ts.JsxEmit.ReactNative)
    options.jsx = ts.JsxEmit.ReactJSX;

  // Our SDK answers for moose-lib and typia. Absolute targets work whatever `baseUrl` is.
  options.paths = {
    ...(options.paths ?? {}),
    [MOOSE_LIB]: [sdkEntry],
    [`${MOOSE_LIB}/*`]: [sdkEntry],
    typia: [typiaEntry],
  };
  if (options.baseUrl === undefined && options.pathsBasePath === undefined)
    options.pathsBasePath = path.resolve(root);
  return {
    options,
    resolutionOptions: resolutionOptionsFor(options, projectModule, projectResolution),
    problems,
    inputs,
  };
};

/** The project's module resolution with the `module` setting TypeScript requires beside it. */
const resolutionOptionsFor = (
  options: ts.CompilerOptions,
  module: ts.ModuleKind | undefined,
  resolution: ts.ModuleResolutionKind | undefined,
): ts.CompilerOptions => {
  switch (resolution) {
    case ts.ModuleResolutionKind.Node16:
      return { ...options, module: ts.ModuleKind.Node16, moduleResolution: resolution };
    case ts.ModuleResolutionKind.NodeNext:
      return { ...options, module: ts.ModuleKind.NodeNext, moduleResolution: resolution };
    case ts.ModuleResolutionKind.Bundler:
      return { ...options, module: ts.ModuleKind.Preserve, moduleResolution: resolution };
    default:
      // No explicit resolution: TypeScript derives it from `module` (Node16/NodeNext imply
      // their own resolution, anything else Node10).
      if (module === ts.ModuleKind.Node16 || module === ts.ModuleKind.NodeNext)
        return {
          ...options,
          module,
          moduleResolution:
            module === ts.ModuleKind.Node16
              ? ts.ModuleResolutionKind.Node16
              : ts.ModuleResolutionKind.NodeNext,
        };
      return { ...options, moduleResolution: ts.ModuleResolutionKind.Node10 };
  }
};
