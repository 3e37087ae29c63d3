/**
 * The unlock session with its real parts: the real `airlock` bin, a real agent process (detached,
 * or in the foreground so the test can wait on its exit), a real Unix socket, real vault files.
 * Commands run with no passphrase anywhere (AIRLOCK_PASSPHRASE empty, no terminal): if they open
 * the vault, the key came from the agent.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AIRLOCK_BIN, airlock, airlockJson, CLI_PASSPHRASE, cliEnv, cliFailure } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";
import { PARAMS_FILE, readParams, VaultStore } from "../store/index.js";
import { decodeResponse, encodeRequest, frame, MAX_RESPONSE_BYTES, readFrame, type AgentResponse } from "./protocol.js";
import { agentPlace } from "./place.js";

const { root, cleanup } = tempRoot("airlock-agent-");
const home = (n: string): string => join(root, n);
const run = join(root, "run");
mkdirSync(run, { mode: 0o700 });
/** A session's environment: its own runtime folder, and no passphrase at all. */
const session = { XDG_RUNTIME_DIR: run };
const noPassphrase = { ...session, AIRLOCK_PASSPHRASE: "" };

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  for (const h of ["a", "b", "c"]) airlock(["lock", "--home", home(h)], session);
  cleanup();
});

interface Foreground {
  readonly child: ChildProcess;
  /** The unlock's --json line, once the agent listens. */
  readonly ready: Promise<Record<string, unknown>>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `airlock unlock --foreground`: the agent is this child, so the test can wait for it to exit. */
function foreground(h: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = session): Foreground {
  const child = spawn(process.execPath, [AIRLOCK_BIN, "unlock", "--foreground", "--json", "--home", home(h), ...args], { env: cliEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!) as Record<string, unknown>);
    });
    void exit.then(({ code }) => reject(new Error(`unlock exited (${code}) before it was ready: ${out}${err}`)));
  });
  return { child, ready, exit };
}

/** One raw request on the agent's socket, the bytes as given; the decoded answer. */
async function rawAsk(socketPath: string, bytes: Uint8Array): Promise<AgentResponse> {
  const socket = connect(socketPath);
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write(bytes);
  try {
    return decodeResponse(await readFrame(socket, MAX_RESPONSE_BYTES));
  } finally {
    socket.destroy();
  }
}

describe("airlock unlock / lock", () => {
  for (const h of ["a", "b", "c"]) airlockJson(["init", "--team", "Field office", "--name", "alice", "--home", home(h)]);

  it("unlock lets commands run with no passphrase; the folder is 0700 and the socket 0600; lock wipes it and removes the socket", () => {
    const unlocked = airlockJson(["unlock", "--home", home("a")], session);
    expect(unlocked).toMatchObject({ unlocked: true, foreground: false });
    const socketPath = unlocked["socket"] as string;
    expect(socketPath.startsWith(join(run, "airlock"))).toBe(true);
    expect(statSync(join(run, "airlock")).mode & 0o777).toBe(0o700);
    expect(statSync(socketPath).isSocket()).toBe(true);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);

    const note = airlockJson(["notes", "add", "--title", "while unlocked", "--home", home("a")], noPassphrase);
    expect(airlockJson(["notes", "show", note["id"] as string, "--home", home("a")], noPassphrase)).toMatchObject({ note: { title: "while unlocked" } });
    // Another vault is not unlocked by it.
    expect(cliFailure(airlock(["status", "--home", home("b"), "--json"], noPassphrase)).code).toBe("VAULT_NO_PASSPHRASE");

    expect(airlockJson(["lock", "--home", home("a")], session)).toEqual({ ok: true, locked: true });
    expect(existsSync(socketPath)).toBe(false);
    expect(cliFailure(airlock(["status", "--home", home("a"), "--json"], noPassphrase)).code).toBe("VAULT_NO_PASSPHRASE");
    expect(airlockJson(["lock", "--home", home("a")], session)).toEqual({ ok: true, locked: false });
  });

  it("the agent exits on its own after --idle without use", async () => {
    const agent = foreground("a", ["--idle", "300ms"]);
    const ready = await agent.ready;
    expect(ready).toMatchObject({ unlocked: true, idleMs: 300, foreground: true });
    expect(await agent.exit).toEqual({ code: 0, signal: null });
    expect(existsSync(ready["socket"] as string)).toBe(false);
  });

  it("a passphrase change ends the session (and asks for the old passphrase even while unlocked)", async () => {
    const agent = foreground("c");
    await agent.ready;
    expect(airlockJson(["status", "--home", home("c")], noPassphrase)).toMatchObject({ ok: true });
    expect(cliFailure(airlock(["passphrase", "change", "--home", home("c"), "--json"], noPassphrase)).code).toBe("VAULT_NO_PASSPHRASE");
    const next = join(root, "new-passphrase");
    writeFileSync(next, "a new and longer passphrase for the agent test\n", { mode: 0o600 });
    expect(airlockJson(["passphrase", "change", "--new-passphrase-file", next, "--home", home("c")], session)).toMatchObject({ changed: true, locked: true });
    expect(await agent.exit).toEqual({ code: 0, signal: null });
    expect(airlockJson(["status", "--home", home("c"), "--passphrase-file", next], noPassphrase)).toMatchObject({ ok: true });
  });

  it("refuses a request for another vault, an oversized and a garbage one, and keeps serving; a stale key ends it", async () => {
    const agent = foreground("b");
    const socketPath = (await agent.ready)["socket"] as string;
    const place = agentPlace(home("b"));
    const salt = readParams(join(place.home, PARAMS_FILE)).current.salt;

    expect(await rawAsk(socketPath, encodeRequest({ op: "key", home: agentPlace(home("a")).home, salt }))).toMatchObject({ ok: false, code: "AGENT_OTHER_VAULT" });
    expect(await rawAsk(socketPath, encodeRequest({ op: "lock", home: agentPlace(home("a")).home }))).toMatchObject({ ok: false, code: "AGENT_OTHER_VAULT" });
    const huge = new Uint8Array(4);
    new DataView(huge.buffer).setUint32(0, 0xffffffff);
    expect(await rawAsk(socketPath, huge)).toMatchObject({ ok: false, code: "AGENT_BAD_REQUEST" });
    expect(await rawAsk(socketPath, frame(new Uint8Array(200).fill(0xa7)))).toMatchObject({ ok: false, code: "AGENT_BAD_REQUEST" });
    expect(await rawAsk(socketPath, frame(new TextEncoder().encode('{"op":"key"}')))).toMatchObject({ ok: false, code: "AGENT_BAD_REQUEST" });

    // Still serving: the key it hands out opens this vault (and only through openWithKey's checks).
    const answer = await rawAsk(socketPath, encodeRequest({ op: "key", home: place.home, salt }));
    expect(answer.ok).toBe(true);
    const key = (answer as { key: Uint8Array }).key;
    expect(key.length).toBe(32);
    const wrong = key.slice();
    wrong[0]! ^= 1;
    expect(() => VaultStore.openWithKey(home("b"), wrong, { kdf: "test-insecure" })).toThrow(expect.objectContaining({ code: "VAULT_WRONG_KEY" }));
    expect(wrong.every((b) => b === 0)).toBe(true);
    VaultStore.openWithKey(home("b"), key, { kdf: "test-insecure" }).close();
    expect(key.every((b) => b === 0)).toBe(true);

    // A request naming another salt means the passphrase changed since: the key it holds is useless, so it goes.
    expect(await rawAsk(socketPath, encodeRequest({ op: "key", home: place.home, salt: new Uint8Array(16) }))).toMatchObject({ ok: false, code: "AGENT_STALE" });
    expect(await agent.exit).toEqual({ code: 0, signal: null });
    expect(existsSync(socketPath)).toBe(false);
  });

  it("refuses a socket folder others may enter; without XDG_RUNTIME_DIR it uses <home>/agent, and SIGTERM ends it", async () => {
    const shared = join(root, "run-shared");
    mkdirSync(join(shared, "airlock"), { recursive: true, mode: 0o700 });
    chmodSync(join(shared, "airlock"), 0o755);
    const refused = cliFailure(airlock(["unlock", "--home", home("a"), "--json"], { XDG_RUNTIME_DIR: shared }));
    expect(refused.code).toBe("AGENT_UNSAFE_DIR");
    expect(refused.message).toMatch(/may be entered by other users \(mode 755, must be 700\)/);
    expect(cliFailure(airlock(["status", "--home", home("a"), "--json"], { XDG_RUNTIME_DIR: shared, AIRLOCK_PASSPHRASE: "" })).code).toBe("VAULT_NO_PASSPHRASE");

    const agent = foreground("a", [], { XDG_RUNTIME_DIR: undefined });
    const socketPath = (await agent.ready)["socket"] as string;
    expect(socketPath).toBe(join(home("a"), "agent", "agent.sock"));
    expect(statSync(join(home("a"), "agent")).mode & 0o777).toBe(0o700);
    expect(airlockJson(["status", "--home", home("a")], { XDG_RUNTIME_DIR: undefined, AIRLOCK_PASSPHRASE: "" })).toMatchObject({ ok: true });
    agent.child.kill("SIGTERM");
    expect(await agent.exit).toEqual({ code: 0, signal: null });
    expect(existsSync(socketPath)).toBe(false);
  });

  it("--idle takes 100ms to 24h", () => {
    const r = airlock(["unlock", "--idle", "forever", "--home", home("a")], { ...session, AIRLOCK_PASSPHRASE: CLI_PASSPHRASE });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--idle "forever" is not a duration from 100ms to 24h/);
  });
});
