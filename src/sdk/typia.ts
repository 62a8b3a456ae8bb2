/**
 * What `typia` resolves to when the loader type-checks a project: the tags Moose models use and
 * typia's validation API as types (see typia-api.ts). `import typia from "typia"` gives the same
 * namespace, types included (`typia.tags.Format<…>`), as the real package does.
 */
import * as typia from "./typia-api";
export * from "./typia-api";
export default typia;
