/**
 * The unlock agent (docs/unlock-session.md): holds one vault's page key in memory and hands it to
 * `airlock` commands of the same user over a Unix socket, until it is idle for `idleMs`, locked,
 * signalled, or asked for a key its vault no longer has (the passphrase changed).
 *
 * Invariants: the key exists only in `#key` (a Uint8Array, wiped when the agent stops) and in
 * response frames, wiped once written; it is never logged, never written to a file. Each
 * connection carries one request; a malformed, oversized or slow one is answered or dropped
 * without touching the others or the key.
 */
import { chmodSync, lstatSync, renameSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { connect, createServer, type Server, type Socket } from "node:net";
import { AirlockError, errnoCode, isAirlockError } from "@airlock/shared";
import { decodeRequest, encodeResponse, MAX_REQUEST_BYTES, readFrame, type AgentResponse } from "./protocol.js";
import { checkDir } from "./place.js";

export interface AgentOptions {
  /** The vault's real path (place.ts): requests must name it. */
  readonly home: string;
  /** The salt of the vault's current KDF slot when it was unlocked: names the key held. */
  readonly salt: Uint8Array;
  readonly socket: string;
  /** The folder that guards the socket; checked again before listening. */
  readonly dir: string;
  readonly idleMs: number;
  /** Taken over: wiped when the agent stops. */
  readonly key: Uint8Array;
}

export type StopReason = "idle" | "locked" | "passphrase changed" | "SIGTERM" | "SIGINT" | "SIGHUP" | "error";

/** How long one connection may take to send its request. */
const REQUEST_MS = 5000;
const MAX_CONNECTIONS = 16;

export class Agent {
  readonly #o: AgentOptions;
  readonly #key: Uint8Array;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #idle: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The socket file this agent made: stop() removes that one only, never a later agent's. */
  #bound: { dev: number; ino: number } | undefined;
  #resolveStopped!: (reason: StopReason) => void;
  /** Settles once the agent has stopped: socket removed, key wiped. */
  readonly stopped: Promise<StopReason>;

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#key = options.key;
    this.stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
    this.#server = createServer((socket) => this.#serve(socket));
    this.#server.maxConnections = MAX_CONNECTIONS;
  }

  /** Listens on the socket (0600, in the checked 0700 folder); resolves once connections are accepted. */
  async listen(): Promise<void> {
    checkDir(this.#o.dir);
    // Another agent answering there keeps its socket: unlinking it would leave that agent holding
    // a key nobody can reach or lock. Only a dead socket file is cleared.
    if (await answers(this.#o.socket)) {
      throw new AirlockError("AGENT_RUNNING", "an unlock session for this vault is already running", { hint: "end it first with `airlock lock`" });
    }
    removeSocket(this.#o.socket);
    // Bound under a name of its own, then renamed into place: the event loop unlinks a Unix
    // socket by the name it was bound to when the server closes, and that must never be the
    // shared name another agent may hold by then. Only #removeOwnSocket touches that one.
    const bound = join(dirname(this.#o.socket), `.${process.pid}`);
    removeSocket(bound);
    // The socket file is created with the process umask: none but the owner may connect, even
    // for the instant before the chmod below.
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#server.once("error", reject);
        this.#server.listen(bound, () => {
          this.#server.off("error", reject);
          resolve();
        });
      });
    } finally {
      process.umask(umask);
    }
    chmodSync(bound, 0o600);
    const st = lstatSync(bound);
    this.#bound = { dev: st.dev, ino: st.ino };
    renameSync(bound, this.#o.socket);
    this.#server.on("error", () => this.stop("error"));
    this.#touch();
  }

  /** Stops at once: no new connections, socket file removed, key wiped. Idempotent. */
  stop(reason: StopReason): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#idle);
    this.#removeOwnSocket();
    this.#key.fill(0);
    for (const s of this.#sockets) s.destroy();
    this.#server.close(() => this.#resolveStopped(reason));
  }

  #removeOwnSocket(): void {
    if (this.#bound === undefined) return;
    try {
      const st = lstatSync(this.#o.socket);
      if (st.dev === this.#bound.dev && st.ino === this.#bound.ino) removeSocket(this.#o.socket);
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw e;
    }
  }

  #touch(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.stop("idle"), this.#o.idleMs);
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(REQUEST_MS, () => socket.destroy());
    void readFrame(socket, MAX_REQUEST_BYTES).then(
      (body) => {
        let response: AgentResponse;
        let after: StopReason | undefined;
        try {
          ({ response, after } = this.#answer(body));
        } finally {
          body.fill(0);
        }
        // A stop waits for the answer to be written: it ends every connection.
        this.#reply(socket, response, () => {
          if (after !== undefined) this.stop(after);
        });
      },
      (e: unknown) => this.#reply(socket, { ok: false, code: "AGENT_BAD_REQUEST", message: isAirlockError(e) ? e.message : "unreadable request" }),
    );
  }

  #answer(body: Uint8Array): { response: AgentResponse; after?: StopReason } {
    let request;
    try {
      request = decodeRequest(body);
    } catch (e) {
      return { response: { ok: false, code: "AGENT_BAD_REQUEST", message: isAirlockError(e) ? e.message : "unreadable request" } };
    }
    if (this.#stopped) return { response: { ok: false, code: "AGENT_LOCKED", message: "the session is ending" } };
    if (request.home !== this.#o.home) return { response: { ok: false, code: "AGENT_OTHER_VAULT", message: "this agent holds the key of another vault" } };
    if (request.op === "lock") {
      // Gone before the answer, so whoever asked sees no socket once it reads "ok".
      this.#removeOwnSocket();
      return { response: { ok: true }, after: "locked" };
    }
    if (!sameBytes(request.salt, this.#o.salt)) {
      // The vault's passphrase changed since the unlock: the key held opens nothing any more.
      return { response: { ok: false, code: "AGENT_STALE", message: "the vault's passphrase changed since it was unlocked" }, after: "passphrase changed" };
    }
    this.#touch();
    return { response: { ok: true, key: this.#key } };
  }

  #reply(socket: Socket, response: AgentResponse, then?: () => void): void {
    if (socket.destroyed) return then?.();
    const bytes = encodeResponse(response);
    let settled = false;
    // Written or not (the other end may be gone already), the frame is wiped and `then` runs once.
    const settle = (): void => {
      if (settled) return;
      settled = true;
      bytes.fill(0);
      then?.();
    };
    socket.once("close", settle);
    socket.end(bytes, settle);
  }
}

/** Whether something accepts connections on `path` (a live agent), within a second. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (live: boolean): void => {
      socket.destroy();
      resolve(live);
    };
    socket.setTimeout(1000, () => done(true));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if (errnoCode(e) !== "ENOENT") throw e;
  }
}

/**
 * Runs an agent until it stops, stopping it on SIGTERM, SIGINT and SIGHUP; `onListening` runs
 * once it accepts connections. Resolves with why it stopped.
 */
export async function runAgent(options: AgentOptions, onListening: () => void): Promise<StopReason> {
  const agent = new Agent(options);
  const signals = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
  const handlers = signals.map((signal) => {
    const handler = (): void => agent.stop(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    try {
      await agent.listen();
    } catch (e) {
      agent.stop("error");
      throw e;
    }
    onListening();
    return await agent.stopped;
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
