/*
 * TypeScript takes about 150 ms to load, and most runs never compile a model: `--help`, the
 * migrate commands, and every one-shot load the model cache answers (model/compile-cache.ts).
 * Imported first by the CLI, this puts a stand-in for the `typescript` package in Node's module
 * cache: the model modules import it as usual, and the real package is loaded the first time
 * any of its members is used (the stand-in then forwards to it, and later requires get the real
 * module). Tests and library users import the modules directly and load TypeScript as usual.
 */
import Module from "node:module";

const requireCache = (Module as unknown as { _cache: Record<string, Module | undefined> })._cache;

const installLazyTypeScript = (): void => {
  let id: string;
  try {
    id = require.resolve("typescript");
  } catch {
    return; // Not installed: the first compile reports it as it always did.
  }
  if (requireCache[id] !== undefined) return;
  let real: Record<string | symbol, unknown> | undefined;
  const load = (): Record<string | symbol, unknown> => {
    if (real === undefined) {
      delete requireCache[id];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      real = require(id) as Record<string | symbol, unknown>;
    }
    return real;
  };
  const standIn = new Proxy(
    {},
    {
      // TypeScript is CommonJS: `__importDefault` asks for __esModule, which it does not set.
      get: (_t, key) => (key === "__esModule" && real === undefined ? undefined : load()[key]),
      has: (_t, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_t, key) => {
        const d = Reflect.getOwnPropertyDescriptor(load(), key);
        return d === undefined ? undefined : { ...d, configurable: true };
      },
    },
  );
  const m = new Module(id);
  m.filename = id;
  m.loaded = true;
  m.exports = standIn;
  requireCache[id] = m;
};

installLazyTypeScript();
