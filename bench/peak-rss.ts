/*
 * Preload for the comparison bench (`node --require dist/bench/peak-rss.js …`): when the process
 * exits, its peak resident set size (KB, this process only: not its children) is written to the
 * file named by PEAK_RSS_FILE. Without the variable it does nothing.
 */
import fs from "node:fs";

const file = process.env.PEAK_RSS_FILE;
if (file) {
  process.on("exit", () => {
    try {
      fs.writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // The bench reports a missing figure; the measured process must not fail because of it.
    }
  });
}
