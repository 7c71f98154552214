#!/usr/bin/env node
// tortie-node: runs the TypeScript entry through tsx (this example is not built;
// the @tortie packages resolve to their builds).
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
