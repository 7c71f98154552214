#!/usr/bin/env node
// Entry point of the `tortie` CNI plugin in Node: runs one call (when the
// bash shim found no resident helper), then starts the helper in the
// background for the calls that follow; `tortie.mjs --helper` is the helper.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runHelper } from "../plugin/helper.js";
import { tortieMain } from "../plugin/main.js";

if (process.argv[2] === "--helper") {
  await runHelper();
  process.exit(0);
}
await tortieMain();
if (process.env.TORTIE_CNI_HELPER !== "off" && process.env.CNI_COMMAND !== "VERSION") {
  spawn(process.execPath, [fileURLToPath(import.meta.url), "--helper"], {
    detached: true,
    stdio: "ignore",
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CNI_"))),
  }).unref();
}
// rtnetlink and datastore handles must not keep a finished plugin alive
process.exit(process.exitCode ?? 0);
