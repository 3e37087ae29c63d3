/**
 * The `airlock` side of an unlock session (docs/unlock-session.md): ask the agent for a vault's
 * key, tell it to lock, start one. Asking is cheap when there is no session (one stat), and
 * every failure to get a key means "no session": the caller asks for the passphrase instead.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AirlockError, errnoCode } from "@airlock/shared";
import { PARAMS_FILE, readParams } from "../store/index.js";
import { agentPlace, checkDir, prepareDir, type AgentPlace } from "./place.js";
import { decodeResponse, encodeRequest, MAX_RESPONSE_BYTES, readFrame, type AgentRequest, type AgentResponse } from "./protocol.js";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
/** An agent answers at once; one that does not within this is treated as absent. */
const ANSWER_MS = 3000;

/** Sends one request; undefined when no agent listens there (no socket, refused, gone, too slow). */
export async function ask(place: AgentPlace, request: AgentRequest): Promise<AgentResponse | undefined> {
  if (!existsSync(place.socket)) return undefined;
  checkDir(place.dir);
  const socket = connect(place.socket);
  socket.setTimeout(ANSWER_MS, () => socket.destroy(new AirlockError("AGENT_TIMEOUT", "the agent did not answer")));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const out = encodeRequest(request);
    socket.write(out);
    const body = await readFrame(socket, MAX_RESPONSE_BYTES);
    try {
      return decodeResponse(body);
    } finally {
      body.fill(0);
    }
  } catch (e) {
    const code = errnoCode(e);
    if (code === "ECONNREFUSED" || code === "ENOENT" || code === "ECONNRESET" || code === "EPIPE" || (e instanceof AirlockError && e.code === "AGENT_TIMEOUT")) return undefined;
    throw e;
  } finally {
    socket.destroy();
  }
}

/** The salt naming the key in force, or undefined while a passphrase change is pending (then only the passphrase opens it). */
function currentSalt(home: string): Uint8Array | undefined {
  const params = readParams(join(home, PARAMS_FILE));
  return params.pending === undefined ? params.current.salt : undefined;
}

/**
 * The vault's page key from a running session, or undefined. An unsafe socket folder is
 * refused (AGENT_UNSAFE_DIR): better to stop than to talk to whoever set it up.
 */
export async function keyFromAgent(home: string): Promise<Uint8Array | undefined> {
  const place = agentPlace(home);
  if (!existsSync(place.socket)) return undefined;
  const salt = currentSalt(place.home);
  if (salt === undefined) return undefined;
  const response = await ask(place, { op: "key", home: place.home, salt });
  if (response?.ok !== true || response.key === undefined) return undefined;
  return response.key;
}

/** Ends the session for `home`; false when there was none. */
export async function lockAgent(home: string): Promise<boolean> {
  let place: AgentPlace;
  try {
    place = agentPlace(home);
  } catch {
    return false;
  }
  const response = await ask(place, { op: "lock", home: place.home });
  return response?.ok === true;
}

export interface Started {
  readonly pid: number;
  readonly socket: string;
}

/**
 * Starts a detached agent holding `key` for `place` (key wiped here once handed over). The agent
 * gets no environment (no AIRLOCK_PASSPHRASE) and `/` as its folder, so it keeps no stick busy.
 */
export async function startAgent(place: AgentPlace, key: Uint8Array, salt: Uint8Array, idleMs: number): Promise<Started> {
  prepareDir(place.dir);
  const child = spawn(process.execPath, [MAIN, place.home, place.socket, place.dir, Buffer.from(salt).toString("hex"), String(idleMs)], {
    detached: true,
    stdio: ["pipe", "pipe", "ignore"],
    env: {},
    cwd: "/",
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (d: string) => {
        out += d;
        if (out.includes("\n") || out.length > 1024) resolve(out.split("\n")[0] ?? "");
      });
      child.once("error", reject);
      child.once("exit", () => resolve(out.split("\n")[0] ?? ""));
      child.stdin.end(key, () => key.fill(0));
    });
    if (line !== "ready") {
      const m = /^error (\S+) (.*)$/.exec(line);
      throw new AirlockError(m?.[1] ?? "AGENT_FAILED", m?.[2] ?? "the agent did not start", { hint: "nothing was unlocked; commands still ask for the passphrase" });
    }
    return { pid: child.pid!, socket: place.socket };
  } finally {
    key.fill(0);
    child.stdout.destroy();
    child.unref();
  }
}

export { agentPlace };
