import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import type { ResolutionRecord } from "./resolution-record";
import { inNodeModules, type TrackedResolver } from "./resolve-modules";
import type { UserFileCache } from "./user-files";

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

/** What a long-lived loader keeps for the host: parsed project files and import resolutions. */
export interface ProjectFiles {
  cache: UserFileCache;
  /** Files a watcher reported as changed: compared by content whatever their stamp says. */
  hinted: ReadonlySet<string>;
  resolutions: ResolutionRecord;
}

/**
 * The loader's compiler host: module resolution is `resolver`'s (the same one the runtime uses),
 * files outside the project come from the shared cache and the project's own files from the
 * loader's cache.
 */
export const createLoaderHost = (
  options: ts.CompilerOptions,
  resolver: TrackedResolver,
  sdkDir: string,
  project: ProjectFiles,
): ts.CompilerHost => {
  const host = ts.createCompilerHost(options);
  host.resolveModuleNameLiterals = (literals, containingFile, _ref, _opts, _sf, reusedNames) => {
    const answers = literals.map(
      (lit) =>
        [
          lit.text,
          {
            resolved: resolver(lit.text, containingFile),
            lookups: resolver.lookups(lit.text, containingFile),
          },
        ] as const,
    );
    project.resolutions.record(
      containingFile,
      answers,
      (reusedNames ?? []).map((n) => n.text),
    );
    return answers.map(([, a]) => ({ resolvedModule: a.resolved }));
  };
  // Unchanged files keep their resolutions from the previous program unless the disk says
  // otherwise.
  host.hasInvalidatedResolutions = (file) => project.resolutions.invalidated(file);
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreate) => {
    const file = path.resolve(fileName);
    if (!isShared(file, sdkDir))
      return project.cache.get(file, fileName, languageVersionOrOptions, project.hinted.has(file));
    if (shouldCreate) return parse(fileName, languageVersionOrOptions, onError, shouldCreate);
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
