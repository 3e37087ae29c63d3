/**
 * Where an unlock session's agent listens for one vault home (docs/unlock-session.md).
 *
 * Node cannot ask the kernel who is at the other end of a Unix socket, so, as with ssh-agent,
 * the file permissions are the whole defence: the socket lives in a folder only this user may
 * enter (0700, owned by this user), and is itself 0600. A folder that is not ours or that others
 * may enter is refused, never repaired: someone else could already be listening there.
 *
 *   $XDG_RUNTIME_DIR/airlock/<32 hex of SHA-256(real vault path)>.sock   (tmpfs, gone at logout)
 *   <vault home>/agent/agent.sock                                        (when XDG_RUNTIME_DIR is unset)
 */
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, realpathSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { AirlockError, errnoCode } from "@airlock/shared";

/** sun_path holds 108 bytes on Linux, the last one a NUL. */
const MAX_SOCKET_PATH = 107;

export interface AgentPlace {
  /** The vault home as the agent knows it: its real path (links resolved), which requests must name. */
  readonly home: string;
  /** The folder that guards the socket. */
  readonly dir: string;
  readonly socket: string;
}

export function agentPlace(home: string): AgentPlace {
  let real: string;
  try {
    real = realpathSync(home);
  } catch (e) {
    throw new AirlockError("VAULT_NOT_FOUND", `no vault at ${home}`, { hint: "point --home / AIRLOCK_HOME at the vault", cause: e });
  }
  const runtime = process.env["XDG_RUNTIME_DIR"];
  const place =
    runtime !== undefined && isAbsolute(runtime)
      ? { home: real, dir: join(runtime, "airlock"), socket: join(runtime, "airlock", `${createHash("sha256").update(real).digest("hex").slice(0, 32)}.sock`) }
      : { home: real, dir: join(real, "agent"), socket: join(real, "agent", "agent.sock") };
  if (Buffer.byteLength(place.socket) > MAX_SOCKET_PATH) {
    throw new AirlockError("AGENT_PATH_TOO_LONG", `the agent's socket path ${place.socket} is longer than a Unix socket may be (${MAX_SOCKET_PATH} bytes)`, {
      hint: "set XDG_RUNTIME_DIR (usually /run/user/UID), or keep the vault in a folder with a shorter path",
    });
  }
  return place;
}

function unsafeDir(dir: string, why: string): AirlockError {
  return new AirlockError("AGENT_UNSAFE_DIR", `the agent's folder ${dir} ${why}`, {
    hint: `remove it (or fix it: chmod 700, owned by you) and run the command again; nothing was unlocked`,
  });
}

/** Refuses a socket folder that is not a directory of this user's that only this user may enter. */
export function checkDir(dir: string): void {
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw unsafeDir(dir, "is not a folder (a link or a file is in its place)");
  if (process.getuid !== undefined && st.uid !== process.getuid()) throw unsafeDir(dir, `belongs to another user (uid ${st.uid})`);
  if ((st.mode & 0o077) !== 0) throw unsafeDir(dir, `may be entered by other users (mode ${(st.mode & 0o777).toString(8)}, must be 700)`);
}

/** Makes the socket folder (0700) if it is missing, then checks it as checkDir does. */
export function prepareDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if (errnoCode(e) !== "EEXIST") throw e;
  }
  checkDir(dir);
}
