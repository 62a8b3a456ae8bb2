/** The package name models import the SDK by (kept apart so the run step loads no TypeScript). */
export const MOOSE_LIB = "@514labs/moose-lib";
