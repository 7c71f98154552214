// The system Chromium the dashboard's browser tests drive (playwright-core
// launches it; nothing is downloaded). Chromium is these suites' own
// prerequisite (testbed does not know it): like requirePrereqs, a missing
// one fails in CI and skips elsewhere.
import { accessSync, constants } from "node:fs";
import { inCI } from "@tortie/testbed";

/** Debian's chromium package (scripts/install-system.sh installs it). */
export const CHROMIUM = "/usr/bin/chromium";

/** Why the browser tests cannot run (undefined: they can); throws in CI. */
export function chromiumMissing(): string | undefined {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return undefined;
  } catch {
    const reason = `missing prerequisite: chromium (${CHROMIUM}) — run scripts/install-system.sh as root`;
    if (inCI()) throw new Error(`CI: ${reason}`);
    console.warn(`skipping: ${reason}`);
    return reason;
  }
}
