// A persistent connection to an FRR daemon's vty socket (what `vtysh`
// speaks): a command ends with a NUL; the answer is the output followed by
// three NULs and a status byte. Polling bgpd this way costs no vtysh process
// (REAL-PEERS.md: ~25 ms CPU per vtysh call).
import { createConnection, type Socket } from "node:net";

export class VtySocket {
  private buf = Buffer.alloc(0);
  private waiting: ((text: string) => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly sock: Socket) {
    sock.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
    sock.on("error", () => {});
  }

  static async connect(path: string): Promise<VtySocket> {
    const sock = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", reject);
    });
    return new VtySocket(sock);
  }

  /** Runs one command; returns its output. */
  cmd(command: string): Promise<string> {
    const run = () => {
      const reply = new Promise<string>((resolve) => {
        this.waiting = resolve;
      });
      this.sock.write(`${command}\0`);
      return reply;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  close(): void {
    this.sock.destroy();
  }

  private drain(): void {
    const end = this.buf.indexOf(Buffer.from([0, 0, 0]));
    if (end < 0 || this.buf.length < end + 4 || !this.waiting) return;
    const text = this.buf.subarray(0, end).toString("utf8");
    this.buf = this.buf.subarray(end + 4);
    const w = this.waiting;
    this.waiting = undefined;
    w(text);
  }
}
