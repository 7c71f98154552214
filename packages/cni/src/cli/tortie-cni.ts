#!/usr/bin/env node
// Entry point of the `tortie-cni` executable.

import { cliMain } from "./main.js";

process.exitCode = await cliMain(process.argv.slice(2), process.env, {
  stdout: (t) => {
    process.stdout.write(t);
  },
  stderr: (t) => {
    process.stderr.write(t);
  },
});
