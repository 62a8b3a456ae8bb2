/** Identifier and literal quoting for ClickHouse SQL. Every identifier we render goes through here. */
export const quoteIdent = (name: string): string =>
  "`" + name.replace(/\\/g, "\\\\").replace(/`/g, "\\`") + "`";

export const quoteString = (value: string): string =>
  "'" + value.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";

export const qualified = (database: string, name: string): string =>
  `${quoteIdent(database)}.${quoteIdent(name)}`;
