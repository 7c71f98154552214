#!/usr/bin/env node
// Entry point of the `tortie` CNI plugin executable (install it in CNI_PATH).

import { tortieMain } from "../plugin/main.js";

await tortieMain();
// rtnetlink and datastore handles must not keep a finished plugin alive
process.exit(process.exitCode ?? 0);
