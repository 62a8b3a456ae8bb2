import path from "node:path";

/** What changed since the last cycle, by what it makes the session redo. */
export interface ChangeSet {
  /** Model sources (absolute paths): reload the code. */
  models: string[];
  /** `migrations/` (a committed file added, edited or removed): fold the files again. */
  migrations: boolean;
  /** `moose.config.toml`: read the project again. */
  config: boolean;
  /** The first cycle, at start (everything is read). */
  start?: boolean;
}

export const noChanges = (): ChangeSet => ({ models: [], migrations: false, config: false });

export const everything = (): ChangeSet => ({
  models: [],
  migrations: true,
  config: true,
  start: true,
});

export const isEmpty = (c: ChangeSet): boolean =>
  c.models.length === 0 && !c.migrations && !c.config;

export const merge = (a: ChangeSet, b: ChangeSet): ChangeSet => ({
  models: [...new Set([...a.models, ...b.models])],
  migrations: a.migrations || b.migrations,
  config: a.config || b.config,
  ...(a.start === true || b.start === true ? { start: true } : {}),
});

/**
 * `[watcher_config] ignore_patterns` globs (`**`, `*`, `?`), matched against the path relative
 * to the project root, or against the file name for a pattern without a slash.
 */
export const ignoreMatcher = (patterns: readonly string[]): ((rel: string) => boolean) => {
  const res = patterns.map((p) => {
    let re = "";
    for (let i = 0; i < p.length; i++) {
      const c = p[i]!;
      if (c === "*" && p[i + 1] === "*") {
        // `**/` matches any number of folders, `**` anything.
        const slash = p[i + 2] === "/";
        re += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else if (c === "*") re += "[^/]*";
      else if (c === "?") re += "[^/]";
      else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    return { re: new RegExp(`^${re}(?:/.*)?$`), baseName: !p.includes("/") };
  });
  return (rel) => {
    const posix = rel.split(path.sep).join("/");
    const base = path.posix.basename(posix);
    return res.some(({ re, baseName }) => re.test(posix) || (baseName && re.test(base)));
  };
};

/** Which part of the project a changed path belongs to, or undefined when none. */
export const classify = (
  root: string,
  sourceDir: string,
  file: string,
): keyof ChangeSet | undefined => {
  const rel = path.relative(root, file).split(path.sep).join("/");
  if (rel === "moose.config.toml") return "config";
  if (rel.startsWith("migrations/"))
    // pending.yaml is dev's own output; temporary files are not migrations.
    return /\.ya?ml$/.test(rel) && rel !== "migrations/pending.yaml" ? "migrations" : undefined;
  const src = path.posix.normalize(sourceDir.split(path.sep).join("/")).replace(/\/$/, "");
  if (rel === src || rel.startsWith(`${src}/`))
    return /\.(?:[cm]?ts|tsx|[cm]?js|json)$/.test(rel) ? "models" : undefined;
  if (rel === "tsconfig.json" || rel === "package.json") return "models";
  return undefined;
};
