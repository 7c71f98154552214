/**
 * Consistency rules between a snapshot's state and its timers and data,
 * following RFC 4271 §8.2.2 (e.g. "no HoldTimer in Idle"). Used by the
 * property tests; also handy as an assertion at the edge while debugging.
 */
import type { Fsm, TimerName } from "./types.js";

const ALLOWED_TIMERS: Readonly<Record<Fsm["state"], readonly TimerName[]>> = {
  Idle: ["idleHold"],
  Connect: ["connectRetry", "delayOpen"],
  Active: ["connectRetry", "delayOpen"],
  OpenSent: ["hold"],
  OpenConfirm: ["hold", "keepalive"],
  Established: ["hold", "keepalive"],
};

/** Returns a description of every rule `fsm` breaks; empty when consistent. */
export function invariantViolations(fsm: Fsm): string[] {
  const out: string[] = [];
  const allowed = ALLOWED_TIMERS[fsm.state];
  if (!allowed) return [`unknown state ${String(fsm.state)}`];
  for (const [timer, at] of Object.entries(fsm.timers)) {
    if (at === undefined) continue;
    if (!allowed.includes(timer as TimerName)) out.push(`${timer} timer running in ${fsm.state}`);
    if (!Number.isFinite(at)) out.push(`${timer} deadline is not finite`);
  }
  const t = fsm.timers;
  const open = fsm.state === "OpenConfirm" || fsm.state === "Established";
  if (open !== (fsm.session !== undefined))
    out.push(`session data ${open ? "missing" : "present"}`);
  if (open && fsm.session) {
    const running = fsm.session.holdTime > 0;
    if (running !== (t.hold !== undefined)) out.push("hold timer does not match hold time");
    if (running !== (t.keepalive !== undefined))
      out.push("keepalive timer does not match hold time");
  }
  if (fsm.state === "OpenSent" && t.hold === undefined) out.push("no hold timer in OpenSent");
  if (fsm.state === "Idle" && t.idleHold !== undefined && !fsm.config.allowAutomaticStart) {
    out.push("idle hold timer without AllowAutomaticStart");
  }
  if (fsm.state === "Connect" || fsm.state === "Active") {
    if ((t.connectRetry === undefined) === (t.delayOpen === undefined)) {
      out.push("exactly one of connect retry and delay open timers must run");
    }
    if ((t.delayOpen !== undefined) !== (fsm.connection !== undefined)) {
      out.push("a connection waits exactly while the delay open timer runs");
    }
  }
  const connected = fsm.state === "OpenSent" || open;
  if (connected && fsm.connection === undefined) out.push(`no connection in ${fsm.state}`);
  if (fsm.state === "Idle" && fsm.connection !== undefined) out.push("connection in Idle");
  if ((fsm.state === "Established") !== (fsm.establishedAt !== undefined)) {
    out.push("establishedAt does not match Established");
  }
  const c = fsm.config;
  if (fsm.idleHoldTime < c.idleHoldTime || fsm.idleHoldTime > c.maxIdleHoldTime) {
    out.push("idle hold time outside its configured range");
  }
  if (fsm.connectRetryCounter < 0) out.push("negative ConnectRetryCounter");
  return out;
}
