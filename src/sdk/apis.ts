/* eslint-disable @typescript-eslint/no-explicit-any -- HTTP handlers and framework apps are typed structurally (no node/express types) */
/**
 * Query APIs and web apps run in Moose's HTTP server. Loading them here only records them
 * (keyed as moose-lib keys them; its checks are left to Moose); calling them is not available.
 */
import type { MooseUtils } from "./clients";
import { TypedResource } from "./column";
import { rejectNotAvailable } from "./inert";
import { declared, type InjectedSchema } from "./registry";

/** A query API handler: validated parameters and Moose's utilities in, the response out. */
export type ApiHandler<T, R> = (params: T, utils: MooseUtils) => Promise<R>;

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- moose-lib's generic arity
export interface ApiConfig<T> {
  version?: string;
  /** A custom path (default: the API name). */
  path?: string;
  metadata?: { description?: string };
}
/** @deprecated Use ApiConfig. */
export type EgressConfig<T> = ApiConfig<T>;

const endsWithVersion = (path: string, version: string): boolean =>
  path === version || path.endsWith(`/${version}`);

/** A query API (`/api/<name>`), with query parameters `T` and response `R`. */
export class Api<T, R = any> extends TypedResource<T, ApiConfig<T>> {
  _handler: ApiHandler<T, R>;
  responseSchema: { version: "3.1"; schemas: any[]; components: { schemas: Record<string, any> } };

  constructor(
    name: string,
    handler: ApiHandler<T, R>,
    // moose-lib takes `{}` here: any object is accepted.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    config?: ApiConfig<T> | {},
    schema?: InjectedSchema,
  ) {
    const cfg = (config ?? {}) as ApiConfig<T>;
    super(name, cfg, schema);
    this._handler = handler;
    this.responseSchema = {
      version: "3.1",
      schemas: [{ type: "array", items: { type: "object" } }],
      components: { schemas: {} },
    };
    // Keys as moose-lib registers them; a clash moose-lib would refuse is ignored here (the
    // first registration stays): APIs are not part of the migration plan.
    const apis = declared("apis");
    const claim = (key: string) => {
      if (!apis.has(key)) apis.set(key, this);
    };
    claim(cfg.version ? `${name}:${cfg.version}` : name);
    if (cfg.path) {
      if (cfg.version && !endsWithVersion(cfg.path, cfg.version))
        claim(`${cfg.path.replace(/\/$/, "")}/${cfg.version}`);
      claim(cfg.path);
    }
  }

  getHandler = (): ApiHandler<T, R> => this._handler;

  call(_baseUrl: string, _queryParams: T): Promise<R> {
    return rejectNotAvailable("Api.call");
  }
}

/** @deprecated Use Api (the same class). */
export const ConsumptionApi: typeof Api = Api;

/** A raw Node.js request handler. */
export type WebAppHandler = (req: any, res: any) => void | Promise<void>;

/** An Express/Connect (`handle`), Koa (`callback`) or Fastify (`routing`) app. */
export interface FrameworkApp {
  handle?: (req: any, res: any, next?: (err?: any) => void) => void;
  callback?: () => WebAppHandler;
  routing?: (req: any, res: any) => void;
  ready?: () => PromiseLike<unknown>;
}

export interface WebAppConfig {
  /** Where the app is mounted, e.g. "/myapp". */
  mountPath: string;
  metadata?: { description?: string };
  injectMooseUtils?: boolean;
}

/**
 * A web app mounted into Moose's HTTP server. Never served here, and not part of the
 * migration plan: moose-lib's mount-path checks are Moose's to make, so any app loads.
 */
export class WebApp {
  name: string;
  handler: WebAppHandler;
  config: WebAppConfig;
  sourceFile?: string;
  sourceLine?: number;
  sourceColumn?: number;
  private _rawApp?: FrameworkApp;

  constructor(name: string, appOrHandler: FrameworkApp | WebAppHandler, config: WebAppConfig) {
    this.name = name;
    this.config = config;
    if (typeof appOrHandler === "function") {
      this.handler = appOrHandler;
    } else {
      // The framework app is not touched while models load; serving it is Moose's job.
      this.handler = () => rejectNotAvailable(`WebApp ${name} handler`);
      this._rawApp = appOrHandler;
    }
    const webApps = declared("webApps");
    if (!webApps.has(name)) webApps.set(name, this);
  }

  getRawApp(): FrameworkApp | undefined {
    return this._rawApp;
  }
}
