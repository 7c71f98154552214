// execve(2) for the daemon: Node 20 has no `process.execve`, so the C
// library's, through koffi (as speaker/libc.ts does for sockets). The new
// program keeps the PID, the namespaces and every descriptor without
// FD_CLOEXEC; Node marks its standard streams close-on-exec, so those are
// cleared first, or the new process would find /dev/null on 0–2 and its
// log would vanish.
import koffi from "koffi";
import { loadLibc } from "../speaker/libc.js";

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/**
 * Replaces this process with `argv[0]` run with `argv` and `env`. Returns
 * only when execve failed, with the reason (the caller carries on as it
 * is); the standard streams are left inheritable either way.
 */
export function reexec(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = loadLibc((p) => koffi.load(p));
  } catch (e) {
    return (e as Error).message;
  }
  const fcntl = lib.func("int fcntl(int fd, int cmd, ...)");
  const execve = lib.func("int execve(const char *path, const char **argv, const char **envp)");
  for (const fd of [0, 1, 2]) {
    const flags = fcntl(fd, F_GETFD) as number;
    if (flags >= 0 && (flags & FD_CLOEXEC) !== 0) fcntl(fd, F_SETFD, "int", flags & ~FD_CLOEXEC);
  }
  const envp = Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  execve(argv[0]!, [...argv, null], [...envp, null]);
  return `execve ${argv[0]} failed: errno ${koffi.errno()}`;
}
