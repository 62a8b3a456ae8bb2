import { createModelLoader, type LoadedModels, type ModelSource } from "./model-loader";

export type { LoadedModels, ModelSource } from "./model-loader";

/**
 * Loads `<root>/<source_dir>/index.ts` once and returns the desired infrastructure map: a fresh
 * loader's first load, so a one-shot command and `moose dev` read models the same way.
 */
export const loadModels = (src: ModelSource): LoadedModels => createModelLoader(src).load();
