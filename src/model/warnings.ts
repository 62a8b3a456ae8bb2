import { MooseError } from "../errors";

/**
 * Something loading the project noticed that does not stop it: a type error outside the models
 * (`type-error`), a problem in the project's tsconfig (`tsconfig`), or a declared resource the
 * tool leaves out of planning (`unmanaged`).
 */
export interface ModelWarning {
  kind: "type-error" | "tsconfig" | "unmanaged";
  /** `path:line:col` relative to the project root, when the error has a place. */
  where: string | undefined;
  message: string;
}

/** `path:line:col - message`, or the message alone when it has no place. */
export const warningText = (w: ModelWarning): string =>
  w.where ? `${w.where} - ${w.message}` : w.message;

/**
 * A loading error with the TypeScript problems that were only warnings so far: when loading
 * fails anyway, one of them is often the cause (a failed import behind an `any` column).
 */
export const withLoadWarnings = (e: unknown, warnings: readonly ModelWarning[]): unknown => {
  const related = warnings.filter((w) => w.kind !== "unmanaged");
  if (!(e instanceof MooseError) || related.length === 0) return e;
  const shown = related.slice(0, 5).map(warningText);
  const more =
    related.length > shown.length ? `\n  … and ${related.length - shown.length} more` : "";
  return new MooseError(
    e.code,
    `${e.message}\nTypeScript problems found while loading (one may be the cause):\n  ${shown.join("\n  ")}${more}`,
    { hint: e.hint, exitCode: e.exitCode, details: e.details, cause: e.cause },
  );
};
