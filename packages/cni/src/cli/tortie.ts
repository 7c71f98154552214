#!/usr/bin/env node
// Entry point of the `tortie` CNI plugin in Node: runs one call (when the
// bash shim found no resident helper), then starts the helper in the
// background for the calls that follow; `tortie.mjs --helper` is the helper.
// Nothing escapes as a stack trace: anything unexpected is answered as a
// CNI error (code 999) on stdout, exit 1.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runHelper } from "../plugin/helper.js";
import { tortieMain } from "../plugin/main.js";
import { toCniError } from "../spec/errors.js";

const helper = process.argv[2] === "--helper";
let answered = false;
const die = (e: unknown) => {
  if (helper) process.exit(70);
  // the first line only: a module error's "Require stack" is no business of the runtime's
  const err = toCniError(e instanceof Error ? new Error(e.message.split("\n")[0]) : e);
  if (!answered) {
    answered = true;
    process.stdout.write(JSON.stringify(err.toJSON()));
    process.stderr.write(`${err.message}\n`);
  }
  process.exit(1);
};
process.on("uncaughtException", die);
process.on("unhandledRejection", die);

if (helper) {
  await runHelper();
  process.exit(0);
}
const code = await tortieMain();
answered = true;
if (process.env.TORTIE_CNI_HELPER !== "off" && process.env.CNI_COMMAND !== "VERSION") {
  spawn(process.execPath, [fileURLToPath(import.meta.url), "--helper"], {
    detached: true,
    stdio: "ignore",
    env: Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("CNI_") && k !== "TORTIE_CNI_T0"),
    ),
  }).unref();
}
// rtnetlink and datastore handles must not keep a finished plugin alive
process.exit(code);
