/**
 * The SDK runs inside the migration tool only to read the declared resources. Anything that
 * needs a running Moose (ClickHouse, Kafka, Redis, Temporal, the HTTP server) is inert: it
 * loads and constructs without side effects and fails with one clear message only when called.
 */

/** The error every runtime-only member raises when it is called. */
export const notAvailable = (what: string): Error => {
  const e = new Error(`${what} is not available when the migration tool loads models`);
  // The CLI recognises it by name: a model that starts such a call at load time and never
  // awaits it leaves a rejected promise behind, which must not fail the command.
  e.name = NOT_AVAILABLE;
  return e;
};

export const NOT_AVAILABLE = "MooseSdkNotAvailable";

/** For async members: a rejected promise (never a synchronous throw). */
export const rejectNotAvailable = <T = never>(what: string): Promise<T> =>
  Promise.reject(notAvailable(what));
