import Module, { createRequire } from "node:module";
import path from "node:path";
import { MooseError, errorText } from "../errors";
import { MOOSE_LIB } from "./compile";

type ModuleInternals = Module & { _compile(code: string, filename: string): void };
const nodeModulePaths = (dir: string): string[] =>
  (Module as unknown as { _nodeModulePaths: (d: string) => string[] })._nodeModulePaths(dir);

/**
 * Runs the emitted user modules in this process. `@514labs/moose-lib` resolves to our SDK
 * instance (the one whose registry the loader reads); relative imports resolve to other
 * emitted project files; anything else is an ordinary require from the project.
 */
export const runModules = (
  entry: string,
  outputs: Map<string, string>,
  sdk: unknown,
  root: string,
): void => {
  const cache = new Map<string, Module>();

  const resolveProjectFile = (request: string, from: string): string | undefined => {
    const base = path.resolve(path.dirname(from), request);
    const candidates = [
      base,
      `${base}.ts`,
      `${base}.tsx`,
      path.join(base, "index.ts"),
      base.replace(/\.js$/, ".ts"),
    ];
    return candidates.find((c) => outputs.has(c));
  };

  const load = (file: string): unknown => {
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const code = outputs.get(file);
    if (code === undefined) throw new Error(`no compiled output for ${file}`);
    const mod = new Module(file) as ModuleInternals;
    mod.filename = file;
    mod.paths = nodeModulePaths(path.dirname(file));
    const fallback = createRequire(file);
    mod.require = ((request: string): unknown => {
      if (request === MOOSE_LIB || request.startsWith(`${MOOSE_LIB}/`)) return sdk;
      // typia's tags are types only; a value import of them gets an empty namespace.
      if (request === "typia") return { tags: {} };
      if (request.startsWith(".") || path.isAbsolute(request)) {
        const target = resolveProjectFile(request, file);
        if (target) return load(target);
      }
      return fallback(request);
    }) as NodeJS.Require;
    cache.set(file, mod);
    mod._compile(code, file);
    mod.loaded = true;
    return mod.exports;
  };

  try {
    load(entry);
  } catch (e) {
    if (e instanceof MooseError) throw e;
    const stackLine =
      e instanceof Error
        ? (e.stack ?? "").split("\n").find((l) => l.includes(root) && !l.includes("node_modules"))
        : undefined;
    throw new MooseError(
      "MODEL_INVALID",
      `Loading the models failed: ${errorText(e)}${
        stackLine
          ? ` (${stackLine
              .trim()
              .replace(/^at /, "at ")
              .replace(root + path.sep, "")})`
          : ""
      }`,
      {
        hint: "The model modules threw while loading; fix the error above (the models must load without side effects that need a network).",
        cause: e,
      },
    );
  }
};
