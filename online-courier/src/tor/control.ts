/**
 * A minimal client for tor's control protocol (control-spec.txt): one connection, commands
 * answered in order, asynchronous events (650) dispatched to listeners, and authentication by
 * SAFECOOKIE (preferred: the cookie never crosses the socket), COOKIE, password or none.
 *
 * Only what the courier needs is here: AUTHENTICATE, GETINFO, SETEVENTS, ADD_ONION,
 * DEL_ONION. Replies are bounded (a line of 64 KiB, a reply of 1 MiB) because the control
 * port may belong to a tor we did not start.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { AirlockError } from "@airlock/shared";
import { wipe } from "@airlock/bundle-format";

export type TorControlEndpoint = { host: string; port: number } | { socketPath: string };

export interface TorReply {
  /** Status of the final line (250 = OK). */
  readonly status: number;
  /** Each line's text after the status and separator; a data block is joined with "\n". */
  readonly lines: readonly string[];
}

export const TOR_HINTS = {
  TOR_CONTROL_UNREACHABLE: "cannot reach tor's control port; check that tor runs with ControlPort (or ControlSocket) and that the address is right",
  TOR_CONTROL_AUTH: "tor refused to authenticate this controller; give the control cookie file (CookieAuthentication 1) or the control password",
  TOR_CONTROL_FAILED: "tor refused the command; see the message, and tor's log",
  TOR_CONTROL_PROTOCOL: "the control port answered something that is not tor's control protocol",
  TOR_NOT_INSTALLED: "install tor (Debian: apt-get install tor) or give the path to the tor binary",
  TOR_START_FAILED: "tor did not start; see the log lines in the message",
  TOR_TIMEOUT: "tor did not get there in time; check its log (a private test network needs ~30 s to vote a consensus)",
} as const;
export type TorErrorCode = keyof typeof TOR_HINTS;

export function torError(code: TorErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: TOR_HINTS[code], cause });
}

const MAX_LINE = 64 * 1024;
const MAX_REPLY = 1024 * 1024;
const SAFECOOKIE_SERVER_KEY = "Tor safe cookie authentication server-to-controller hash";
const SAFECOOKIE_CLIENT_KEY = "Tor safe cookie authentication controller-to-server hash";

interface Pending {
  resolve(reply: TorReply): void;
  reject(e: Error): void;
}

/**
 * Invariants: `#pending` holds one entry per command written and not yet answered, in order;
 * once the socket closes every pending and later command fails with TOR_CONTROL_UNREACHABLE.
 */
export class TorControl {
  readonly #socket: Socket;
  readonly #pending: Pending[] = [];
  readonly #listeners = new Set<(event: string) => void>();
  #buffer = "";
  #lines: string[] = [];
  #replyBytes = 0;
  #data: string[] | undefined;
  #closed: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => this.#onData(chunk));
    socket.on("error", (e) => this.#fail(torError("TOR_CONTROL_UNREACHABLE", `tor's control connection failed: ${e.message}`, e)));
    socket.on("close", () => this.#fail(torError("TOR_CONTROL_UNREACHABLE", "tor closed the control connection")));
  }

  static async connect(endpoint: TorControlEndpoint, timeoutMs = 10_000): Promise<TorControl> {
    const socket = "socketPath" in endpoint ? connect(endpoint.socketPath) : connect(endpoint.port, endpoint.host);
    const where = "socketPath" in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(torError("TOR_CONTROL_UNREACHABLE", `no control connection to ${where} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(torError("TOR_CONTROL_UNREACHABLE", `cannot connect to tor's control port at ${where}: ${e.message}`, e));
      });
    });
    return new TorControl(socket);
  }

  /** Connects and authenticates with the best method tor offers. */
  static async open(endpoint: TorControlEndpoint, auth: { cookieFile?: string; password?: string } = {}): Promise<TorControl> {
    const control = await TorControl.connect(endpoint);
    try {
      await control.authenticate(auth);
      return control;
    } catch (e) {
      control.close();
      throw e;
    }
  }

  async authenticate(auth: { cookieFile?: string; password?: string }): Promise<void> {
    const info = await this.command("PROTOCOLINFO 1");
    const authLine = info.lines.find((l) => l.startsWith("AUTH "));
    const methods = new Set((/METHODS=([A-Z0-9,]+)/.exec(authLine ?? "")?.[1] ?? "").split(","));
    const cookieFile = auth.cookieFile ?? unquote(/COOKIEFILE=("(?:[^"\\]|\\.)*")/.exec(authLine ?? "")?.[1]);
    let reply: TorReply;
    if (auth.password !== undefined && methods.has("HASHEDPASSWORD")) {
      reply = await this.command(`AUTHENTICATE ${quote(auth.password)}`, { secret: true });
    } else if (methods.has("SAFECOOKIE") && cookieFile !== undefined) {
      reply = await this.#safeCookie(cookieFile);
    } else if (methods.has("COOKIE") && cookieFile !== undefined) {
      const cookie = await readCookie(cookieFile);
      try {
        reply = await this.command(`AUTHENTICATE ${Buffer.from(cookie).toString("hex")}`, { secret: true });
      } finally {
        wipe(cookie);
      }
    } else if (methods.has("NULL")) {
      reply = await this.command("AUTHENTICATE");
    } else {
      throw torError("TOR_CONTROL_AUTH", `tor offers ${[...methods].join(", ") || "no"} authentication, and no matching credential was given`);
    }
    if (reply.status !== 250) throw torError("TOR_CONTROL_AUTH", `tor refused authentication: ${reply.lines.at(-1) ?? ""}`);
  }

  /** Sends one command line and resolves with its reply (any status; see `ok`). */
  command(line: string, options: { secret?: boolean } = {}): Promise<TorReply> {
    if (/[\r\n]/.test(line)) return Promise.reject(new TypeError("a control command is one line"));
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      this.#pending.push({
        resolve,
        // A secret (password, cookie) must not end up in an error message.
        reject: (e) => reject(options.secret === true ? torError("TOR_CONTROL_UNREACHABLE", "the control connection closed during authentication") : e),
      });
      this.#socket.write(`${line}\r\n`);
    });
  }

  /** Sends a command and throws TOR_CONTROL_FAILED unless tor answers 250. */
  async ok(line: string, what = line.split(" ")[0] ?? "command"): Promise<TorReply> {
    const reply = await this.command(line);
    if (reply.status !== 250) throw torError("TOR_CONTROL_FAILED", `tor refused ${what}: ${reply.status} ${reply.lines.at(-1) ?? ""}`);
    return reply;
  }

  /** GETINFO of one key → its value. */
  async getInfo(key: string): Promise<string> {
    const reply = await this.ok(`GETINFO ${key}`);
    const line = reply.lines.find((l) => l.startsWith(`${key}=`));
    if (line === undefined) throw torError("TOR_CONTROL_PROTOCOL", `tor's GETINFO answer lacks ${key}`);
    return line.slice(key.length + 1);
  }

  /** Listens to asynchronous events (the text after "650 "); returns an unsubscribe function. */
  onEvent(listener: (event: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#socket.destroy();
  }

  async #safeCookie(cookieFile: string): Promise<TorReply> {
    const cookie = await readCookie(cookieFile);
    const clientNonce = randomBytes(32);
    try {
      const challenge = await this.ok(`AUTHCHALLENGE SAFECOOKIE ${clientNonce.toString("hex")}`, "AUTHCHALLENGE");
      const m = /SERVERHASH=([0-9A-Fa-f]{64}) SERVERNONCE=([0-9A-Fa-f]{64})/.exec(challenge.lines.join(" "));
      if (m === null) throw torError("TOR_CONTROL_PROTOCOL", "tor's AUTHCHALLENGE answer is malformed");
      const serverNonce = Buffer.from(m[2]!, "hex");
      const message = Buffer.concat([cookie, clientNonce, serverNonce]);
      const expected = createHmac("sha256", SAFECOOKIE_SERVER_KEY).update(message).digest();
      // Proves the other end knows the cookie too: not some process squatting on the port.
      if (!timingSafeEqual(expected, Buffer.from(m[1]!, "hex"))) throw torError("TOR_CONTROL_AUTH", "the control port did not prove it knows tor's cookie");
      const clientHash = createHmac("sha256", SAFECOOKIE_CLIENT_KEY).update(message).digest("hex");
      wipe(message);
      return await this.command(`AUTHENTICATE ${clientHash}`, { secret: true });
    } finally {
      wipe(cookie);
    }
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    for (;;) {
      const end = this.#buffer.indexOf("\r\n");
      if (end < 0) break;
      const line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      this.#onLine(line);
    }
    if (this.#buffer.length > MAX_LINE) this.#protocolError("a control line is too long");
  }

  #onLine(line: string): void {
    this.#replyBytes += line.length;
    if (this.#replyBytes > MAX_REPLY) return this.#protocolError("a control reply is too long");
    if (this.#data !== undefined) {
      if (line === ".") {
        this.#lines.push(this.#data.join("\n"));
        this.#data = undefined;
      } else {
        this.#data.push(line.startsWith(".") ? line.slice(1) : line);
      }
      return;
    }
    const m = /^([0-9]{3})([ +-])(.*)$/.exec(line);
    if (m === null) return this.#protocolError("tor sent a line that is not a control reply");
    const [, statusText, separator, text] = m as unknown as [string, string, string, string];
    if (separator === "+") {
      this.#data = [text];
      return;
    }
    this.#lines.push(text);
    if (separator === "-") return;
    const status = Number(statusText);
    const lines = this.#lines;
    this.#lines = [];
    this.#replyBytes = 0;
    if (status === 650) {
      for (const listener of this.#listeners) listener(lines.join("\n"));
      return;
    }
    const pending = this.#pending.shift();
    if (pending === undefined) return this.#protocolError("tor answered a command that was not sent");
    pending.resolve({ status, lines });
  }

  #protocolError(message: string): void {
    this.#fail(torError("TOR_CONTROL_PROTOCOL", message));
    this.#socket.destroy();
  }

  #fail(e: Error): void {
    this.#closed ??= e;
    for (const p of this.#pending.splice(0)) p.reject(this.#closed);
  }
}

async function readCookie(path: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw torError("TOR_CONTROL_AUTH", `cannot read tor's control cookie ${path}: ${(e as Error).message}`, e);
  }
  if (bytes.length !== 32) throw torError("TOR_CONTROL_AUTH", `${path} is not a tor control cookie (32 bytes)`);
  return new Uint8Array(bytes);
}

/** A control-spec QuotedString. */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function unquote(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  return s.slice(1, -1).replace(/\\(.)/g, "$1");
}
