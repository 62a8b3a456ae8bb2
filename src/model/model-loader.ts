import fs from "node:fs";
import path from "node:path";
import { MooseError } from "../errors";
import type { InfraMap } from "../core/infra-map";
import * as sdk from "../sdk/index";
import { registry, resetRegistry } from "../sdk/registry";
import { createProjectCompiler, type ProjectCompiler } from "./compile";
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
}

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
    compiler ??= createProjectCompiler(entry, root, sdkTypesEntry());
    const compiled = compiler.compile(changed);
    stats = {
      recompiled: compiled.recompiled,
      reused: compiled.reused,
      files: [...compiled.outputs.keys()],
    };
    resetRegistry();
    try {
      runModules(entry, compiled.outputs, sdk, root, compiled.resolver, modules);
      const warnings = [...compiled.warnings];
      const map = infraMapFromResources(registry().resources, src.defaultDatabase, (s) =>
        warnings.push({
          kind: "unmanaged",
          where: undefined,
          message: `OlapTable ${s.name}: ${s.reason}`,
        }),
      );
      return { map, warnings };
    } catch (e) {
      throw withLoadWarnings(e, compiled.warnings);
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
