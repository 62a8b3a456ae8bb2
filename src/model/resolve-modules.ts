import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { MooseError, errorText } from "../errors";

/** One realpath(3) call: the JavaScript version lstat's every path component, on every import. */
const realpath = (file: string): string => {
  try {
    return fs.realpathSync.native(file);
  } catch {
    return file;
  }
};

/** Whether a path lies inside a node_modules folder. */
export const inNodeModules = (file: string): boolean =>
  file.split(path.sep).includes("node_modules");

/** The folder of the package.json that owns `file` (stops at the filesystem root). */
const packageDirOf = (file: string): string | undefined => {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
};

/** `outDir` / `rootDir` of a package's own tsconfig (defaults: `dist` from `src`). */
const buildLayout = (pkgDir: string): { outDir: string; rootDirs: string[] } => {
  const config = path.join(pkgDir, "tsconfig.json");
  let outDir = "dist";
  let rootDirs = ["src", "."];
  if (fs.existsSync(config)) {
    const read = ts.readConfigFile(config, (f) => ts.sys.readFile(f));
    const opts = (read.config as { compilerOptions?: { outDir?: string; rootDir?: string } })
      ?.compilerOptions;
    if (opts?.outDir) outDir = path.normalize(opts.outDir);
    if (opts?.rootDir) rootDirs = [path.normalize(opts.rootDir)];
  }
  return { outDir, rootDirs };
};

/**
 * A workspace package (its real path is outside node_modules) may point its `types` at built
 * declarations (`dist/index.d.ts`) or its `main` at built JavaScript. The models are in its
 * TypeScript sources, which the loader must check and emit itself (columns are read from the source types, and the built JS was
 * compiled for the real moose-lib), so the sources win when they exist.
 */
const sourceOfBuilt = (builtFile: string, pkgDir = packageDirOf(builtFile)): string | undefined => {
  if (!pkgDir) return undefined;
  const { outDir, rootDirs } = buildLayout(pkgDir);
  const rel = path.relative(path.join(pkgDir, outDir), builtFile);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  const stem = rel.replace(/\.(d\.(m|c)?ts|m?js|cjs)$/, "");
  for (const rootDir of rootDirs)
    for (const ext of [".ts", ".tsx", ".mts", ".cts"]) {
      const candidate = path.join(pkgDir, rootDir, stem + ext);
      if (fs.existsSync(candidate)) return candidate;
    }
  return undefined;
};

/** A linked package's package.json; a missing or malformed one is the user's to fix. */
const readManifest = (file: string): { types?: string; typings?: string; main?: string } => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as {
      types?: string;
      typings?: string;
      main?: string;
    };
  } catch (e) {
    throw new MooseError("MODEL_INVALID", `Cannot read ${file}: ${errorText(e)}`, {
      hint: "A workspace package linked into node_modules needs a valid package.json; fix it (or reinstall the workspace).",
    });
  }
};

/** `name` → `["pkg", "sub/path"]`, `"@scope/pkg/x"` → `["@scope/pkg", "x"]`. */
const splitPackage = (name: string): [string, string] => {
  const parts = name.split("/");
  const n = name.startsWith("@") ? 2 : 1;
  return [parts.slice(0, n).join("/"), parts.slice(n).join("/")];
};

/** The `node_modules/<package>` folders the workspace fallback looks for, from `from` up. */
const packageDirs = (name: string, from: string): string[] => {
  if (name.startsWith(".") || path.isAbsolute(name) || name.startsWith("node:")) return [];
  const [pkgName] = splitPackage(name);
  const dirs: string[] = [];
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    dirs.push(path.join(dir, "node_modules", pkgName));
    if (path.dirname(dir) === dir) return dirs;
  }
};

/**
 * A workspace package that has not been built: its package.json points at `dist/…` files that
 * do not exist yet. Its TypeScript entry (the built path mapped back to its sources, else
 * `src/index.ts` or `index.ts`) is what the loader compiles.
 */
const unbuiltWorkspaceEntry = (name: string, containingFile: string): string | undefined => {
  if (name.startsWith(".") || path.isAbsolute(name) || name.startsWith("node:")) return undefined;
  const [pkgName, subpath] = splitPackage(name);
  for (let dir = path.dirname(containingFile); ; dir = path.dirname(dir)) {
    const linked = path.join(dir, "node_modules", pkgName);
    if (fs.existsSync(linked)) {
      const pkgDir = realpath(linked);
      if (inNodeModules(pkgDir)) return undefined;
      const manifest = readManifest(path.join(pkgDir, "package.json"));
      const entries = subpath
        ? [subpath]
        : [manifest.types, manifest.typings, manifest.main].filter(
            (e): e is string => typeof e === "string",
          );
      const candidates = [
        ...entries.map((e) => sourceOfBuilt(path.join(pkgDir, e), pkgDir)),
        ...(subpath
          ? [".ts", ".tsx", "/index.ts"].map((ext) => path.join(pkgDir, "src", subpath + ext))
          : [path.join(pkgDir, "src", "index.ts"), path.join(pkgDir, "index.ts")]),
      ];
      return candidates.find((c): c is string => c !== undefined && fs.existsSync(c));
    }
    if (path.dirname(dir) === dir) return undefined;
  }
};

export type ModuleResolver = (
  name: string,
  containingFile: string,
) => ts.ResolvedModuleFull | undefined;

/**
 * Where a resolution looked, so that a later load can tell whether it still holds: it does
 * while none of the `absent` paths exists and none of the `read` files (package.json) changed.
 * "volatile": the answer depends on more than that (our own workspace fallbacks, a failed
 * lookup, a TypeScript that does not say where it looked), so it is resolved again every time.
 */
export type Lookups = { absent: readonly string[]; read: readonly string[] } | "volatile";

/** A resolver that also says where each of its answers looked. */
export interface TrackedResolver extends ModuleResolver {
  lookups(name: string, containingFile: string): Lookups;
}

/** TypeScript's own record of where a resolution looked (present at run time, not in its types). */
interface ResolutionInternals {
  failedLookupLocations?: readonly string[];
  affectingLocations?: readonly string[];
}

/**
 * Whether this TypeScript reports failed lookups: a name that cannot resolve must list where it
 * was looked for. Without that, every answer is volatile (correct, only slower).
 */
let reportsLookups: boolean | undefined;
const tracksLookups = (): boolean => {
  if (reportsLookups === undefined) {
    const probe = ts.resolveModuleName(
      "./__moose_lookup_probe__",
      path.resolve("__moose_lookup_probe__.ts"),
      {},
      ts.sys,
    ) as unknown as ResolutionInternals;
    reportsLookups = (probe.failedLookupLocations?.length ?? 0) > 0;
  }
  return reportsLookups;
};

/**
 * Under Node16/NodeNext an import resolves by the importing file's format, which the nearest
 * package.json ("type") decides: the package.json files that could be it are lookups too.
 */
const formatLookups = (containingFile: string): { absent: string[]; read: string[] } => {
  const absent: string[] = [];
  for (let dir = path.dirname(containingFile); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) return { absent, read: [manifest] };
    absent.push(manifest);
    if (path.dirname(dir) === dir) return { absent, read: [] };
  }
};

interface Answer {
  resolved: ts.ResolvedModuleFull | undefined;
  lookups: Lookups;
}

/**
 * How the loader resolves imports, at check time and at run time alike: TypeScript's own
 * resolution with the project's options (paths, baseUrl, node_modules, symlinks resolved to
 * real paths), except that a file whose real path is outside node_modules — the project's own
 * code or a linked workspace package — is never an "external library" (TypeScript would neither
 * check nor emit it), and a workspace package's built declarations give way to its sources.
 */
export const createModuleResolver = (
  options: ts.CompilerOptions,
  root: string,
): TrackedResolver => {
  const cache = ts.createModuleResolutionCache(root, (f) => f, options);
  const perFileFormat =
    options.moduleResolution === ts.ModuleResolutionKind.Node16 ||
    options.moduleResolution === ts.ModuleResolutionKind.NodeNext;
  // The checker's host and the runtime ask the same questions: each is answered once.
  const answers = new Map<string, Answer>();
  const resolve = (name: string, containingFile: string): Answer => {
    // Node16/NodeNext resolve an import by the importing file's format (package.json "type",
    // .mts/.cts): ESM files get `import` conditions and need extensions, CommonJS files not.
    const format = perFileFormat
      ? ts.getImpliedNodeFormatForFile(
          containingFile,
          cache.getPackageJsonInfoCache(),
          ts.sys,
          options,
        )
      : undefined;
    const result = ts.resolveModuleName(
      name,
      containingFile,
      options,
      ts.sys,
      cache,
      undefined,
      format,
    );
    const resolved = result.resolvedModule;
    if (!resolved) {
      const source = unbuiltWorkspaceEntry(name, containingFile);
      if (source === undefined) {
        // Unresolved (a Node built-in that @types/node declares as an ambient module, a missing
        // package): it stays so while none of the paths TypeScript looked at, nor a package
        // folder the workspace fallback would take, appears.
        const found = lookupsOf(result, containingFile);
        return {
          resolved: undefined,
          lookups:
            found === "volatile"
              ? found
              : {
                  absent: [...found.absent, ...packageDirs(name, containingFile)],
                  read: found.read,
                },
        };
      }
      return {
        resolved: {
          resolvedFileName: source,
          extension: ts.Extension.Ts,
          isExternalLibraryImport: false,
          resolvedUsingTsExtension: false,
        },
        lookups: "volatile",
      };
    }
    const real = realpath(resolved.resolvedFileName);
    if (inNodeModules(real)) return { resolved, lookups: lookupsOf(result, containingFile) };
    // A linked workspace package: its sources, its built files and the link itself can all
    // change what this import means.
    const linked = inNodeModules(resolved.resolvedFileName);
    if (resolved.isExternalLibraryImport && /\.d\.(m|c)?ts$/.test(resolved.resolvedFileName)) {
      const source = sourceOfBuilt(real);
      if (source)
        return {
          resolved: {
            ...resolved,
            resolvedFileName: source,
            extension: ts.Extension.Ts,
            isExternalLibraryImport: false,
          },
          lookups: "volatile",
        };
    }
    return {
      resolved: { ...resolved, resolvedFileName: real, isExternalLibraryImport: false },
      lookups: linked ? "volatile" : lookupsOf(result, containingFile),
    };
  };
  const lookupsOf = (
    result: ts.ResolvedModuleWithFailedLookupLocations,
    containingFile: string,
  ): Lookups => {
    if (!tracksLookups()) return "volatile";
    const internals = result as unknown as ResolutionInternals;
    const absent = [...(internals.failedLookupLocations ?? [])];
    const read = [...(internals.affectingLocations ?? [])];
    if (perFileFormat) {
      const format = formatLookups(containingFile);
      absent.push(...format.absent);
      read.push(...format.read);
    }
    return { absent, read };
  };
  const answer = (name: string, containingFile: string): Answer => {
    const key = `${containingFile}\0${name}`;
    let found = answers.get(key);
    if (!found) {
      found = resolve(name, containingFile);
      answers.set(key, found);
    }
    return found;
  };
  return Object.assign(
    (name: string, containingFile: string) => answer(name, containingFile).resolved,
    {
      lookups: (name: string, containingFile: string) => answer(name, containingFile).lookups,
    },
  );
};
