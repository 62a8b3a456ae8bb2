import fs from "node:fs";
import path from "node:path";
import { MooseError } from "../errors";
import type { InfraMap } from "../core/infra-map";
import * as sdk from "../sdk/index";
import { registry, resetRegistry } from "../sdk/registry";
import { createProjectCompiler, type CompileSeed, type ProjectCompiler } from "./compile";
import { compileCacheKey, readCompileCache, writeCompileCache } from "./compile-cache";
import type { ModuleResolver } from "./resolve-modules";
import { withLoadWarnings, type ModelWarning } from "./warnings";
import { runModules, type CompiledModules } from "./run-modules";
import { infraMapFromResources } from "./to-infra-map";

/** The SDK's type declarations the checker sees for `@514labs/moose-lib` (source in dev, .d.ts when built). */
const sdkTypesEntry = (): string => {
  const dir = path.resolve(__dirname, "../sdk");
  const ts = path.join(dir, "index.ts");
  return fs.existsSync(ts) ? ts : path.join(dir, "index.d.ts");
};

export interface ModelSource {
  root: string;
  sourceDir: string;
  defaultDatabase: string;
  /**
   * Use and refresh the model cache under `.moose/cache/` (compile-cache.ts): one-shot commands
   * do; `moose dev` keeps its own compiler state instead.
   */
  cache?: boolean;
}

const mergeAnswers = (
  a: Record<string, Record<string, string>>,
  b: Record<string, Record<string, string>>,
): Record<string, Record<string, string>> => {
  const out = { ...a };
  for (const [from, names] of Object.entries(b)) out[from] = { ...out[from], ...names };
  return out;
};

/**
 * `resolver`, also noting in `asked` each import the run resolved to a project file: the
 * answers a cached compile gives the next run.
 */
const recordingResolver = (
  resolver: ModuleResolver,
  outputs: ReadonlyMap<string, string>,
  asked: Record<string, Record<string, string>>,
): ModuleResolver => {
  return (name, from) => {
    const resolved = resolver(name, from);
    if (resolved && outputs.has(path.resolve(resolved.resolvedFileName)))
      (asked[from] ??= {})[name] = path.resolve(resolved.resolvedFileName);
    return resolved;
  };
};

export interface LoadedModels {
  map: InfraMap;
  /** Type errors outside the models and tsconfig problems: shown, never fatal. */
  warnings: ModelWarning[];
}

/** What the last load redid (for a watch loop's log line and for tests; never part of a result). */
export interface LoadStats {
  /** Project files type-checked and emitted again (absolute paths). */
  recompiled: readonly string[];
  /** Project files whose earlier results were reused. */
  reused: number;
  /**
   * Every project file the models were loaded from (absolute), also outside `source_dir`:
   * workspace packages, `../common/…`. A watcher watches them all.
   */
  files: readonly string[];
}

export interface ModelLoader {
  /**
   * Loads the models as they are on disk now. `changed` (files a watcher saw change, absolute or
   * relative to the project root) is only a hint: every project file is checked for changes
   * anyway. Throws the same errors a one-shot load would; a failed load leaves the loader
   * ready for the next one.
   */
  load(changed?: readonly string[]): LoadedModels;
  /** What the last completed compile redid; undefined before the first. */
  readonly stats: LoadStats | undefined;
  /** Drops everything kept between loads. */
  dispose(): void;
}

/**
 * A loader for one project that keeps the type checker's work between loads: each load
 * re-checks and re-emits only the files a change can reach, then runs every module again
 * (declared resources are collected afresh each time). `moose dev` keeps one for its
 * lifetime; `loadModels` is a fresh loader's first load.
 */
export const createModelLoader = (src: ModelSource): ModelLoader => {
  const root = path.resolve(src.root);
  const entry = path.resolve(root, src.sourceDir, "index.ts");
  let compiler: ProjectCompiler | undefined;
  let modules: CompiledModules = new Map();
  let stats: LoadStats | undefined;

  const load = (changed?: readonly string[]): LoadedModels => {
    if (!fs.existsSync(entry)) {
      throw new MooseError(
        "MODEL_NOT_FOUND",
        `No model entry file at ${path.relative(process.cwd(), entry) || entry}`,
        {
          hint: `Moose projects declare their models in ${src.sourceDir}/index.ts (set source_dir in moose.config.toml to change the folder).`,
        },
      );
    }
    const cacheKey = src.cache === true ? compileCacheKey(entry, sdkTypesEntry()) : undefined;
    let seed: CompileSeed | undefined;
    if (compiler === undefined && cacheKey !== undefined) {
      const hit = readCompileCache(root, cacheKey);
      if (hit?.kind === "seed") seed = hit.seed;
      else if (hit !== undefined) {
        stats = { recompiled: [], reused: hit.outputs.size, files: [...hit.outputs.keys()] };
        const resolver: ModuleResolver = (name, from) => {
          const file = hit.answer(name, from);
          return file === undefined
            ? undefined
            : ({ resolvedFileName: file } as ReturnType<ModuleResolver>);
        };
        return run(hit.outputs, resolver, hit.warnings);
      }
    }
    compiler ??= createProjectCompiler(entry, root, sdkTypesEntry());
    const compiled = compiler.compile(changed, seed);
    stats = {
      recompiled: compiled.recompiled,
      reused: compiled.reused,
      files: [...compiled.outputs.keys()],
    };
    if (cacheKey === undefined) return run(compiled.outputs, compiled.resolver, compiled.warnings);
    const asked: Record<string, Record<string, string>> = {};
    const loaded = run(
      compiled.outputs,
      recordingResolver(compiled.resolver, compiled.outputs, asked),
      compiled.warnings,
    );
    const inputs = compiled.cacheInputs();
    if (inputs !== undefined)
      writeCompileCache(root, cacheKey, {
        ...inputs,
        // What the program resolved, and what this run asked at run time on top.
        answers: mergeAnswers(compiled.importAnswers(), asked),
        warnings: compiled.warnings,
        seed: compiled.seedFiles(),
      });
    return loaded;
  };

  /** Runs the emitted modules and builds the desired map from what they declared. */
  const run = (
    outputs: Map<string, string>,
    resolver: ModuleResolver,
    compileWarnings: readonly ModelWarning[],
  ): LoadedModels => {
    resetRegistry();
    try {
      runModules(entry, outputs, sdk, root, resolver, modules);
      const warnings = [...compileWarnings];
      const map = infraMapFromResources(registry().resources, src.defaultDatabase, (s) =>
        warnings.push({
          kind: "unmanaged",
          where: undefined,
          message: `OlapTable ${s.name}: ${s.reason}`,
        }),
      );
      return { map, warnings };
    } catch (e) {
      throw withLoadWarnings(e, compileWarnings);
    } finally {
      resetRegistry();
    }
  };

  return {
    load,
    get stats() {
      return stats;
    },
    dispose: () => {
      compiler = undefined;
      modules = new Map();
      stats = undefined;
    },
  };
};
