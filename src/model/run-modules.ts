import Module, { SourceMap, createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";
import { MooseError, errorText } from "../errors";
import { MOOSE_LIB } from "./moose-lib-name";
import type { ModuleResolver } from "./resolve-modules";

type ResolveFilename = (request: string, parent: unknown, ...rest: unknown[]) => string;
const ModuleStatics = Module as unknown as {
  _nodeModulePaths: (d: string) => string[];
  _resolveFilename: ResolveFilename;
  _cache: Record<string, Module | undefined>;
};

/** The module ids our SDK and typia shim answer to while the models load. */
const SDK_ID = "\0moose-migrate:sdk";
const TYPIA_ID = "\0moose-migrate:typia";

const isMooseLib = (request: string): boolean =>
  request === MOOSE_LIB || request.startsWith(`${MOOSE_LIB}/`);

/** typia's sub-namespaces (`typia.json.createStringify<T>()`, …): the same shim again. */
const TYPIA_NAMESPACES = new Set([
  "json",
  "http",
  "misc",
  "llm",
  "functional",
  "protobuf",
  "reflect",
  "notations",
]);

/**
 * typia's runtime without its compiler transform. `tags` are types only; every factory
 * (`createAssert<T>()`, `json.createStringify<T>()`, …) returns a function that refuses when
 * called, so a module that builds validators at load time still loads. It is its own default
 * export and an ES module namespace, so every import style (`import typia`, `import * as`,
 * `import { createIs }`) sees the same functions.
 */
const typiaShim = (prefix = "typia"): unknown => {
  const refuse = (name: string) => (): never => {
    throw new Error(
      `${prefix}.${name} is not available when the migration tool loads models (it needs Moose's compiler transform)`,
    );
  };
  const self: object = new Proxy(
    {},
    {
      get: (_t, key) => {
        if (typeof key !== "string" || key === "then") return undefined;
        if (key === "__esModule") return true;
        if (key === "default") return self;
        if (key === "tags") return {};
        if (TYPIA_NAMESPACES.has(key)) return typiaShim(`${prefix}.${key}`);
        return () => refuse(key);
      },
    },
  );
  return self;
};

/**
 * While `fn` runs, every `require` of `@514labs/moose-lib` (or a subpath) or `typia` in this
 * process — from the project's files, its workspace packages or anything in node_modules —
 * gets our SDK and typia shim, even where the real packages are installed.
 */
const withSdkResolution = <T>(sdk: unknown, fn: () => T): T => {
  const original = ModuleStatics._resolveFilename;
  const cache = ModuleStatics._cache;
  const stub = (id: string, exports: unknown): void => {
    const m = new Module(id);
    m.exports = exports;
    m.loaded = true;
    cache[id] = m;
  };
  stub(SDK_ID, sdk);
  stub(TYPIA_ID, typiaShim());
  ModuleStatics._resolveFilename = function (this: unknown, request, parent, ...rest) {
    if (isMooseLib(request)) return SDK_ID;
    if (request === "typia") return TYPIA_ID;
    return original.call(this, request, parent, ...rest);
  };
  try {
    return fn();
  } finally {
    ModuleStatics._resolveFilename = original;
    delete cache[SDK_ID];
    delete cache[TYPIA_ID];
  }
};

type ModuleFunction = (
  exports: unknown,
  require: NodeJS.Require,
  module: Module,
  filename: string,
  dirname: string,
) => void;

/**
 * Compiled module functions by file, kept by a long-lived loader while a file's emitted code is
 * unchanged: calling the function again runs the module afresh (new exports, new top-level
 * bindings) without compiling it again.
 */
export type CompiledModules = Map<string, { code: string; fn: ModuleFunction }>;

const compileModule = (file: string, code: string, compiled: CompiledModules): ModuleFunction => {
  const hit = compiled.get(file);
  if (hit?.code === code) return hit.fn;
  // The parameters of Node's CommonJS wrapper, so the code runs exactly as a required file.
  const fn = vm.compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], {
    filename: file,
  }) as ModuleFunction;
  compiled.set(file, { code, fn });
  return fn;
};

/**
 * `file:line:col` of emitted code as the TypeScript source's line and column, read from the
 * inline source map the compile step emits.
 */
const sourcePosition = (file: string, line: number, col: number, code: string): string => {
  const url = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(code)?.[1];
  if (url === undefined) return `${file}:${line}:${col}`;
  const map = new SourceMap(JSON.parse(Buffer.from(url, "base64").toString("utf8")) as never);
  const entry = map.findEntry(line - 1, col - 1) as {
    originalLine?: number;
    originalColumn?: number;
  };
  return entry.originalLine === undefined || entry.originalColumn === undefined
    ? `${file}:${line}:${col}`
    : `${file}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
};

/** The first stack frame in the project's own code, at its TypeScript line. */
const userFrame = (e: unknown, root: string, outputs: Map<string, string>): string | undefined => {
  if (!(e instanceof Error)) return undefined;
  const line = (e.stack ?? "")
    .split("\n")
    .find((l) => l.includes(root) && !l.includes("node_modules"));
  if (line === undefined) return undefined;
  // "at fn (/path/file.ts:6:9)" or "at /path/file.ts:6:9"
  const at = /\((.+):(\d+):(\d+)\)\s*$/.exec(line) ?? /at (.+):(\d+):(\d+)\s*$/.exec(line);
  const code = at ? outputs.get(at[1]!) : undefined;
  const mapped =
    at && code !== undefined
      ? line.replace(
          `${at[1]!}:${at[2]!}:${at[3]!}`,
          sourcePosition(at[1]!, Number(at[2]), Number(at[3]), code),
        )
      : line;
  return mapped.trim().replace(root + path.sep, "");
};

/**
 * Runs the emitted user modules in this process. Imports resolve the way the type checker
 * resolved them — the project's tsconfig `paths` / `baseUrl`, relative files, and workspace
 * packages reached through (symlinked) node_modules — to the emitted code of those files;
 * anything else is an ordinary require from the importing file.
 */
export const runModules = (
  entry: string,
  outputs: Map<string, string>,
  sdk: unknown,
  root: string,
  resolver: ModuleResolver,
  compiled: CompiledModules = new Map(),
): void => {
  const cache = new Map<string, Module>();

  const resolveProjectFile = (request: string, from: string): string | undefined => {
    const resolved = resolver(request, from)?.resolvedFileName;
    if (resolved === undefined) return undefined;
    const file = path.resolve(resolved);
    return outputs.has(file) ? file : undefined;
  };

  const load = (file: string): unknown => {
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const code = outputs.get(file);
    if (code === undefined) throw new Error(`no compiled output for ${file}`);
    const mod = new Module(file);
    mod.filename = file;
    mod.paths = ModuleStatics._nodeModulePaths(path.dirname(file));
    const fallback = createRequire(file);
    const requireFn = (request: string): unknown => {
      if (isMooseLib(request)) return sdk;
      if (!request.startsWith("node:")) {
        const target = resolveProjectFile(request, file);
        if (target) return load(target);
      }
      return fallback(request);
    };
    const require = Object.assign(requireFn, {
      resolve: fallback.resolve,
      cache: fallback.cache,
      main: fallback.main,
      extensions: fallback.extensions,
    }) as NodeJS.Require;
    mod.require = require;
    cache.set(file, mod);
    compileModule(file, code, compiled).call(
      mod.exports,
      mod.exports,
      require,
      mod,
      file,
      path.dirname(file),
    );
    mod.loaded = true;
    return mod.exports;
  };

  // Whatever the models required besides their own emitted code (node_modules packages, JSON
  // files, plain .js) is evicted from Node's require cache afterwards, so the next load runs it
  // afresh as a new process would: a stale JSON file or a package that declares resources
  // would otherwise survive an edit. Native addons stay (Node cannot load one twice).
  const requireCache = ModuleStatics._cache;
  const before = new Set(Object.keys(requireCache));
  try {
    withSdkResolution(sdk, () => load(entry));
  } catch (e) {
    if (e instanceof MooseError) throw e;
    const frame = userFrame(e, root, outputs);
    throw new MooseError(
      "MODEL_INVALID",
      `Loading the models failed: ${errorText(e)}${frame ? ` (${frame})` : ""}`,
      {
        hint: "The model modules threw while loading; fix the error above (the models must load without side effects that need a network).",
        cause: e,
      },
    );
  } finally {
    for (const id of Object.keys(requireCache))
      if (!before.has(id) && !id.endsWith(".node")) delete requireCache[id];
    for (const file of compiled.keys()) if (!outputs.has(file)) compiled.delete(file);
  }
};
