// Makes the built CLI executable (npm link / bin shims need the mode bit).
const fs = require("node:fs");
const path = require("node:path");
const cli = path.join(__dirname, "..", "dist", "src", "cli.js");
fs.chmodSync(cli, 0o755);
