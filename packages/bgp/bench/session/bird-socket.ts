// A persistent connection to BIRD's control socket (what `birdc` speaks):
// polling through it costs BIRD one command and no process start, so a
// benchmark can ask every few milliseconds without loading the machine.
// Replies are lines "NNNN-text" (more follows), " text" (continuation) and
// a last line "NNNN text".
import { createConnection, type Socket } from "node:net";

export class BirdSocket {
  private buf = "";
  private waiting: ((text: string) => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private failed: Error | undefined;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      this.buf += d;
      this.drain();
    });
    sock.on("error", (e) => {
      this.failed = e;
    });
  }

  /** Connects and reads BIRD's greeting. */
  static async connect(path: string): Promise<BirdSocket> {
    const sock = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", reject);
    });
    const b = new BirdSocket(sock);
    await new Promise<string>((resolve) => {
      b.waiting = resolve;
      b.drain();
    });
    return b;
  }

  /** Sends one command and returns the reply's text (codes stripped). */
  cmd(command: string): Promise<string> {
    const run = async () => {
      if (this.failed) throw this.failed;
      const reply = new Promise<string>((resolve) => {
        this.waiting = resolve;
      });
      this.sock.write(`${command}\n`);
      return reply;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  /** The `info` column of `show protocols NAME` ("Established", "Active"…). */
  async protocolInfo(name: string): Promise<string> {
    const line = (await this.cmd(`show protocols ${name}`))
      .split("\n")
      .find((l) => l.startsWith(`${name} `));
    return line?.split(/\s+/).slice(5).join(" ") ?? "";
  }

  /** "Routes: N imported" of a BGP protocol's channel (`show protocols all NAME`). */
  async imported(name: string): Promise<number> {
    const m = /Routes:\s+(\d+) imported/.exec(await this.cmd(`show protocols all ${name}`));
    return m ? Number(m[1]) : 0;
  }

  /** "Routes: … N exported" of a BGP protocol's channel. */
  async exported(name: string): Promise<number> {
    const m = /Routes:.*?(\d+) exported/.exec(await this.cmd(`show protocols all ${name}`));
    return m ? Number(m[1]) : 0;
  }

  close(): void {
    this.sock.destroy();
  }

  private drain(): void {
    for (;;) {
      // A reply ends with a line "NNNN text" (a space after the code).
      const m = /(^|\n)\d{4} [^\n]*\n/.exec(this.buf);
      if (!m || !this.waiting) return;
      const end = m.index + m[0].length;
      const text = this.buf
        .slice(0, end)
        .split("\n")
        .map((l) => (/^\d{4}[ -]/.test(l) ? l.slice(5) : l.slice(1)))
        .join("\n");
      this.buf = this.buf.slice(end);
      const w = this.waiting;
      this.waiting = undefined;
      w(text);
    }
  }
}
