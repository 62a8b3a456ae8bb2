/**
 * The SDK runs inside the migration tool only to read the declared resources. Anything that
 * needs a running Moose (ClickHouse, Kafka, Redis, Temporal, the HTTP server) is inert: it
 * loads and constructs without side effects and fails with one clear message only when called.
 */

/** The error every runtime-only member raises when it is called. */
export const notAvailable = (what: string): Error =>
  new Error(`${what} is not available when the migration tool loads models`);

/** For async members: a rejected promise (never a synchronous throw). */
export const rejectNotAvailable = <T = never>(what: string): Promise<T> =>
  Promise.reject(notAvailable(what));
