import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";

/**
 * How long opening a connection to ClickHouse may take. Statements themselves get no
 * client-side deadline (a long INSERT … SELECT or ALTER is legitimate; ClickHouse's own limits
 * apply), so an unreachable host must fail here, quickly, as CLICKHOUSE_UNREACHABLE.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

type Create = (options: object, callback?: (err: Error | null, socket: Duplex) => void) => Duplex;

/** Destroys a socket still connecting after `ms`, with ETIMEDOUT (a network error). */
const withConnectDeadline =
  (create: Create, ms: number): Create =>
  (options, callback) => {
    const socket = create(options, callback);
    // A plain timer, not socket.setTimeout: the client resets that one for its request timeout.
    const timer = setTimeout(() => {
      const e = Object.assign(new Error(`connect ETIMEDOUT (no connection within ${ms} ms)`), {
        code: "ETIMEDOUT",
      });
      socket.destroy(e);
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    socket.once("connect", clear);
    socket.once("secureConnect", clear);
    socket.once("close", clear);
    return socket;
  };

/** A keep-alive agent whose connections must open within `ms`. */
export const connectDeadlineAgent = (
  url: string,
  ms: number = CONNECT_TIMEOUT_MS,
): http.Agent | https.Agent => {
  const agent = url.startsWith("https:")
    ? new https.Agent({ keepAlive: true })
    : new http.Agent({ keepAlive: true });
  const self = agent as unknown as { createConnection: Create };
  self.createConnection = withConnectDeadline(self.createConnection.bind(agent), ms);
  return agent;
};
