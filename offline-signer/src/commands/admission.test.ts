/**
 * Admission checks the fingerprint before it signs: the real bin as child processes (and, for the
 * question, in a real pseudo-terminal through util-linux `script`), real vault files. "Nothing
 * signed" is checked on the team log the vault itself reports, before and after.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AIRLOCK_BIN, airlock, airlockJson, cliEnv, cliFailure } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";
import { normalizeFingerprint } from "./admission.js";

const { root, cleanup } = tempRoot("airlock-admission-");
afterAll(cleanup);
const home = (n: string): string => join(root, n);
const teamLog = (h: string): unknown => airlockJson(["log", "--home", home(h)])["events"];

/** `airlock ARGS` with its stdin, stdout and stderr on a pseudo-terminal; `typed` is what the person types. */
function onTerminal(args: readonly string[], typed: string): { status: number | null; output: string } {
  const command = [process.execPath, AIRLOCK_BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const r = spawnSync("script", ["-qefc", command, "/dev/null"], { input: typed, encoding: "utf8", env: cliEnv(), timeout: 60_000 });
  return { status: r.status, output: r.stdout };
}

describe("members add / devices add check the fingerprint first", () => {
  airlockJson(["init", "--team", "Field office", "--name", "alice", "--home", home("a")]);
  const bob = airlockJson(["join", "--name", "bob", "--out", join(root, "bob.req"), "--home", home("b")]);
  const bobFp = bob["fingerprint"] as string;
  const laptop2 = airlockJson(["join", "--name", "alice", "--out", join(root, "a2.req"), "--home", home("a2")]);

  it("refuses without a terminal and without --fingerprint: a usage error naming the flag; nothing signed", () => {
    const before = teamLog("a");
    const r = airlock(["members", "add", join(root, "bob.req"), "--role", "editor", "--home", home("a"), "--json"]);
    expect(r.status).toBe(2);
    const error = (JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } }).error;
    expect(error.code).toBe("USAGE");
    expect(error.message).toMatch(/needs the fingerprint shown on bob's laptop/);
    expect(error.hint).toMatch(/--fingerprint CODE/);
    const text = airlock(["devices", "add", join(root, "a2.req"), "--home", home("a")]);
    expect(text.status).toBe(2);
    expect(text.stderr).toMatch(/^airlock: hint: pass --fingerprint CODE with the code read from the joiner's screen/m);
    expect(teamLog("a")).toEqual(before);
  });

  it("refuses a code that differs with JOIN_FINGERPRINT_MISMATCH, and one that is not a code as USAGE; nothing signed", () => {
    const before = teamLog("a");
    const other = laptop2["fingerprint"] as string;
    const mismatch = cliFailure(airlock(["members", "add", join(root, "bob.req"), "--role", "editor", "--fingerprint", other, "--home", home("a"), "--json"]));
    expect(mismatch.code).toBe("JOIN_FINGERPRINT_MISMATCH");
    expect(mismatch.message).toContain(`the request's fingerprint is ${bobFp}`);
    expect(mismatch.hint).toMatch(/do not admit it; nothing was signed/);
    const device = cliFailure(airlock(["devices", "add", join(root, "a2.req"), "--fingerprint", bobFp, "--home", home("a"), "--json"]));
    expect(device.code).toBe("JOIN_FINGERPRINT_MISMATCH");
    const junk = airlock(["members", "add", join(root, "bob.req"), "--role", "editor", "--fingerprint", "abcd-1234", "--home", home("a")]);
    expect(junk.status).toBe(2);
    expect(junk.stderr).toMatch(/is not a fingerprint: it has 16 letters a-z and digits 2-7/);
    expect(teamLog("a")).toEqual(before);
  });

  it("admits with the code as a person types it (spaces, no dashes, capitals)", () => {
    const typed = bobFp.toUpperCase().replaceAll("-", " ");
    expect(normalizeFingerprint(typed)).toBe(bobFp.replaceAll("-", ""));
    const added = airlockJson(["members", "add", join(root, "bob.req"), "--role", "editor", "--fingerprint", typed, "--home", home("a")]);
    expect(added).toMatchObject({ name: "bob", role: "editor", fingerprint: bobFp });
    const device = airlockJson(["devices", "add", join(root, "a2.req"), "--fingerprint", laptop2["fingerprint"] as string, "--home", home("a")]);
    expect(device["fingerprint"]).toBe(laptop2["fingerprint"]);
  });

  it("adding a member twice is an error that names their role and how to change it", () => {
    const before = teamLog("a");
    const again = cliFailure(airlock(["members", "add", join(root, "bob.req"), "--role", "viewer", "--fingerprint", bobFp, "--home", home("a"), "--json"]));
    expect(again).toMatchObject({ code: "VAULT_ALREADY_MEMBER", message: 'this laptop is already in the team: "bob", editor' });
    expect(again.hint).toContain('airlock members role "bob" ROLE');
    const device = cliFailure(airlock(["devices", "add", join(root, "a2.req"), "--fingerprint", laptop2["fingerprint"] as string, "--home", home("a"), "--json"]));
    expect(device.code).toBe("VAULT_ALREADY_MEMBER");
    expect(teamLog("a")).toEqual(before);
  });

  it("the joining laptop shows its fingerprint again (join --show, status), and so does a laptop in the team", () => {
    const vera = airlockJson(["join", "--name", "vera", "--out", join(root, "vera.req"), "--home", home("v")]);
    expect(airlockJson(["join", "--show", "--home", home("v")])).toMatchObject({ fingerprint: vera["fingerprint"], joined: false, name: "vera" });
    const status = airlock(["status", "--home", home("v")]);
    expect(status.stdout).toContain(`Fingerprint: ${vera["fingerprint"] as string}`);
    expect(airlockJson(["status", "--home", home("v")])["fingerprint"]).toBe(vera["fingerprint"]);
    const alice = airlockJson(["join", "--show", "--home", home("a")]);
    expect(alice).toMatchObject({ joined: true, name: "alice" });
    expect(airlock(["status", "--home", home("a")]).stdout).toMatch(new RegExp(`^You: alice, owner, device [0-9a-f]+, fingerprint ${alice["fingerprint"] as string}$`, "m"));
    const missing = airlock(["join", "--out", join(root, "x.req"), "--home", home("x")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--name is required/);
  });

  it("on a terminal it shows the code and asks first: no signs nothing, yes admits", () => {
    const vera = airlockJson(["join", "--show", "--home", home("v")])["fingerprint"] as string;
    const before = teamLog("a");
    const no = onTerminal(["members", "add", join(root, "vera.req"), "--role", "viewer", "--home", home("a")], "n\n");
    expect(no.output).toContain(`Fingerprint: ${vera}`);
    expect(no.output).toContain(`Does the code on vera's laptop read ${vera}? [y/N]`);
    expect(no.output).toMatch(/airlock: error: "vera" was not admitted: the fingerprint was not confirmed/);
    expect(no.status).toBe(1);
    expect(teamLog("a")).toEqual(before);
    const yes = onTerminal(["members", "add", join(root, "vera.req"), "--role", "viewer", "--home", home("a")], "y\n");
    expect(yes.status, yes.output).toBe(0);
    expect(yes.output).toContain('Added "vera" as viewer.');
  });
});
