/** Identifier and literal quoting for ClickHouse SQL. Every identifier we render goes through here. */
export const quoteIdent = (name: string): string =>
  "`" + name.replace(/\\/g, "\\\\").replace(/`/g, "\\`") + "`";

export const quoteString = (value: string): string =>
  "'" + value.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";

export const qualified = (database: string, name: string): string =>
  `${quoteIdent(database)}.${quoteIdent(name)}`;

/** The value of one quoted token as ClickHouse prints it: `'text'` or `` `name` ``, else as is. */
export const unquoteToken = (s: string): string => {
  const t = s.trim();
  if (/^'[\s\S]*'$/.test(t)) return t.slice(1, -1).replace(/\\(.)/g, "$1");
  return t.replace(/^`(.*)`$/, "$1");
};
