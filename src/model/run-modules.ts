import Module, { createRequire } from "node:module";
import path from "node:path";
import { MooseError, errorText } from "../errors";
import { MOOSE_LIB } from "./project-tsconfig";
import type { ModuleResolver } from "./resolve-modules";

type ModuleInternals = Module & { _compile(code: string, filename: string): void };
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
    const mod = new Module(file) as ModuleInternals;
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
    mod.require = Object.assign(requireFn, {
      resolve: fallback.resolve,
      cache: fallback.cache,
      main: fallback.main,
      extensions: fallback.extensions,
    }) as NodeJS.Require;
    cache.set(file, mod);
    mod._compile(code, file);
    mod.loaded = true;
    return mod.exports;
  };

  // Stack traces of a model that throws point at its TypeScript lines (inline source maps).
  process.setSourceMapsEnabled(true);
  try {
    withSdkResolution(sdk, () => load(entry));
  } catch (e) {
    if (e instanceof MooseError) throw e;
    const stackLine =
      e instanceof Error
        ? (e.stack ?? "").split("\n").find((l) => l.includes(root) && !l.includes("node_modules"))
        : undefined;
    throw new MooseError(
      "MODEL_INVALID",
      `Loading the models failed: ${errorText(e)}${
        stackLine ? ` (${stackLine.trim().replace(root + path.sep, "")})` : ""
      }`,
      {
        hint: "The model modules threw while loading; fix the error above (the models must load without side effects that need a network).",
        cause: e,
      },
    );
  }
};
