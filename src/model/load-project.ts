import fs from "node:fs";
import path from "node:path";
import { MooseError } from "../errors";
import type { InfraMap } from "../core/infra-map";
import * as sdk from "../sdk/index";
import { registry, resetRegistry } from "../sdk/registry";
import { compileProject } from "./compile";
import { withLoadWarnings, type ModelWarning } from "./warnings";
import { runModules } from "./run-modules";
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

/** Loads `<root>/<source_dir>/index.ts` and returns the desired infrastructure map. */
export const loadModels = (src: ModelSource): LoadedModels => {
  const entry = path.resolve(src.root, src.sourceDir, "index.ts");
  if (!fs.existsSync(entry)) {
    throw new MooseError(
      "MODEL_NOT_FOUND",
      `No model entry file at ${path.relative(process.cwd(), entry) || entry}`,
      {
        hint: `Moose projects declare their models in ${src.sourceDir}/index.ts (set source_dir in moose.config.toml to change the folder).`,
      },
    );
  }
  const compiled = compileProject(entry, path.resolve(src.root), sdkTypesEntry());
  resetRegistry();
  try {
    runModules(entry, compiled.outputs, sdk, path.resolve(src.root), compiled.resolver);
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
