import fs from "node:fs";
import path from "node:path";

/** This tool's version, from the nearest package.json above this file (works from src/ and dist/). */
const findVersion = (): string => {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const p = path.join(dir, "package.json");
    if (fs.existsSync(p))
      return (JSON.parse(fs.readFileSync(p, "utf8")) as { version: string }).version;
  }
  return "0.0.0";
};

export const TOOL_VERSION = findVersion();
