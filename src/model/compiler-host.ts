import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { inNodeModules, type ModuleResolver } from "./resolve-modules";

interface CachedFile {
  mtimeMs: number;
  languageVersion: ts.ScriptTarget;
  sourceFile: ts.SourceFile;
}

/**
 * Parsed (and, once a program has checked them, bound) source files that do not belong to the
 * project: TypeScript's lib files, our SDK and declarations under node_modules. They are the
 * same from one load to the next, so a process that loads models more than once (the test
 * suites, a watch loop) parses them once. An entry is used only while the file's mtime and the
 * language version are unchanged.
 */
const sharedFiles = new Map<string, CachedFile>();

const isShared = (file: string, sdkDir: string): boolean =>
  file.startsWith(sdkDir) || inNodeModules(file);

/**
 * The loader's compiler host: module resolution is `resolver`'s (the same one the runtime uses),
 * and files outside the project come from the shared cache.
 */
export const createLoaderHost = (
  options: ts.CompilerOptions,
  resolver: ModuleResolver,
  sdkDir: string,
): ts.CompilerHost => {
  const host = ts.createCompilerHost(options);
  host.resolveModuleNameLiterals = (literals, containingFile) =>
    literals.map((lit) => ({ resolvedModule: resolver(lit.text, containingFile) }));
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreate) => {
    const file = path.resolve(fileName);
    if (!isShared(file, sdkDir) || shouldCreate)
      return parse(fileName, languageVersionOrOptions, onError, shouldCreate);
    const languageVersion =
      typeof languageVersionOrOptions === "object"
        ? languageVersionOrOptions.languageVersion
        : languageVersionOrOptions;
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
    } catch {
      return parse(fileName, languageVersionOrOptions, onError, shouldCreate);
    }
    const hit = sharedFiles.get(file);
    if (hit && hit.mtimeMs === mtimeMs && hit.languageVersion === languageVersion)
      return hit.sourceFile;
    const sourceFile = parse(fileName, languageVersionOrOptions, onError, shouldCreate);
    if (sourceFile) sharedFiles.set(file, { mtimeMs, languageVersion, sourceFile });
    return sourceFile;
  };
  return host;
};
