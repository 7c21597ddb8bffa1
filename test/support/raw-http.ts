// Raw HTTP over net.Socket, for requests no HTTP client would send: the bytes go out exactly as given, and what
// comes back is collected until the server closes or goes quiet.
import net from "node:net";

export interface RawExchange {
  /** Everything the server sent, as latin1 text. */
  data: string;
  /** Status codes of every response in `data` (several when pipelined). */
  statuses: number[];
  /** The server closed the connection (rather than us, after it went quiet). */
  closedByServer: boolean;
}

export interface RawOptions {
  /** Pieces written one after another, `pauseMs` apart (slow clients). */
  pauseMs?: number;
  /** Half-close after writing. Node's server then drops a response still being prepared, as for a client that
   * left, so the default is to keep the connection open and wait. */
  end?: boolean;
  /** Give up after this long without a byte from the server. */
  idleMs?: number;
  /** Reset the connection (RST) right after writing. */
  reset?: boolean;
}

export function rawExchange(port: number, payload: string | Buffer | (string | Buffer)[], options: RawOptions = {}): Promise<RawExchange> {
  const pieces = Array.isArray(payload) ? payload : [payload];
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let finished = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(idle);
      socket.destroy();
      const data = Buffer.concat(chunks).toString("latin1");
      const statuses = [...data.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
      resolve({ data, statuses, closedByServer });
    };
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(finish, options.idleMs ?? 1_500);
    };
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      armIdle();
    });
    socket.on("end", () => {
      closedByServer = true;
      finish();
    });
    socket.on("close", () => {
      closedByServer = closedByServer || !finished;
      finish();
    });
    socket.on("error", () => finish());
    socket.once("connect", async () => {
      for (const [index, piece] of pieces.entries()) {
        if (socket.destroyed) return;
        socket.write(piece);
        if (options.pauseMs && index < pieces.length - 1) await new Promise((r) => setTimeout(r, options.pauseMs));
      }
      if (options.reset) {
        socket.resetAndDestroy();
        finish();
        return;
      }
      if (options.end) socket.end();
      armIdle();
    });
  });
}
