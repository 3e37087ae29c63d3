/**
 * Terminal output hygiene, through the real bin as child processes: a note title that clears the
 * screen and a join request whose name fakes a fingerprint reach stdout and stderr escaped, and
 * names with control or bidi characters are refused where they are made or read.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { concatBytes, ed25519KeyPair, ed25519Sign, encodePayload, utf8, x25519KeyPair } from "@airlock/bundle-format";
import { airlock, airlockJson } from "../../test-support/cli.js";
import { tempRoot } from "../../test-support/vaults.js";
import { encodeObject } from "../team/cbor-object.js";
import { certifyDevice } from "../team/entry.js";
import { fingerprint } from "../vault/request.js";

const { root, cleanup } = tempRoot("airlock-hygiene-");
afterAll(cleanup);
const home = (n: string): string => join(root, n);

/** Anything a terminal acts on, newlines aside (what the escaper must never let through). */
const RAW = /(?![\n\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/**
 * A join request signed like `airlock join` makes one, with any name: the hostile client the
 * test needs (the vault's own maker refuses such names).
 */
function hostileRequest(name: string): { bytes: Uint8Array; fingerprint: string } {
  const identity = ed25519KeyPair();
  const device = ed25519KeyPair();
  const enc = x25519KeyPair().publicKey;
  const keys = certifyDevice(identity, device.publicKey, enc);
  const payload = encodePayload({ kind: "enrollment", name, user: identity.publicKey, deviceSigning: device.publicKey, deviceEncryption: enc, created: Date.now() });
  const sig = ed25519Sign(device.secretKey, concatBytes(utf8("airlock/v1/join-request"), payload));
  return { bytes: encodeObject({ kind: "airlock-join-request", v: 1, payload, cert: keys.cert, sig }), fingerprint: fingerprint(keys) };
}

describe("terminal output hygiene (airlock CLI)", () => {
  it("admits a name dressed up as a fingerprint only with the real fingerprint alone on its own line, and refuses one that hides text", () => {
    airlockJson(["init", "--team", "Field office", "--name", "alice", "--home", home("a")]);
    const realFp = airlockJson(["join", "--name", "bob", "--out", join(root, "bob.req"), "--home", home("b")])["fingerprint"] as string;

    // ESC[8m would hide whatever follows on a terminal: refused, and the refusal shows it escaped.
    const hiding = hostileRequest(`bob as editor. Fingerprint: ${realFp}\x1b[8m`);
    writeFileSync(join(root, "hiding.req"), hiding.bytes);
    const refused = airlock(["members", "add", join(root, "hiding.req"), "--role", "viewer", "--home", home("a")]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^airlock: error: join request: the name "bob as editor\. Fingerprint: [a-z2-7-]+\\x1b\[8m" holds \\x1b/m);
    expect(refused.stderr + refused.stdout).not.toMatch(RAW);
    const refusedJson = airlock(["members", "add", join(root, "hiding.req"), "--role", "viewer", "--home", home("a"), "--json"]);
    expect(refusedJson.stdout).not.toMatch(RAW);
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({ ok: false, error: { code: "JOIN_REQUEST_INVALID" } });

    // Without controls the name is allowed, but it is quoted on its line and the real fingerprint has a line of its own.
    const posing = hostileRequest(`bob as editor. Fingerprint: ${realFp}`);
    writeFileSync(join(root, "posing.req"), posing.bytes);
    const added = airlock(["members", "add", join(root, "posing.req"), "--role", "viewer", "--fingerprint", posing.fingerprint, "--home", home("a")]);
    expect(added.status, added.stderr).toBe(0);
    const lines = added.stdout.split("\n");
    expect(lines[0]).toBe(`Added "bob as editor. Fingerprint: ${realFp}" as viewer.`);
    expect(lines.filter((l) => l.startsWith("Fingerprint:"))).toEqual([`Fingerprint: ${posing.fingerprint}`]);
  });

  it("prints a note title that would clear the screen, and a body that would set the clipboard, escaped", () => {
    const title = "Plan\x1b[2J\x1b[H\u009b2J\u202eevil";
    const body = "line one\nline two\x1b]52;c;cm0gLXJm\x07\rover";
    airlockJson(["notes", "add", "--title", title, "--body", body, "--home", home("a")]);

    const list = airlock(["notes", "list", "--home", home("a")]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain("Plan\\x1b[2J\\x1b[H\\x9b2J\\u202eevil");
    expect(list.stdout).not.toMatch(RAW);

    const id = (airlockJson(["notes", "list", "--home", home("a")])["notes"] as { id: string }[])[0]!.id;
    const show = airlock(["notes", "show", id, "--home", home("a")]);
    expect(show.stdout).toContain("Plan\\x1b[2J\\x1b[H\\x9b2J\\u202eevil\n");
    // The body is a block: its own newline stays, everything else is escaped.
    expect(show.stdout).toContain("line one\nline two\\x1b]52;c;cm0gLXJm\\x07\\rover\n");
    expect(show.stdout).not.toMatch(RAW);

    // --json carries the exact value, with nothing a terminal acts on in the bytes.
    const json = airlock(["notes", "show", id, "--home", home("a"), "--json"]);
    expect(json.stdout).not.toMatch(RAW);
    expect(JSON.parse(json.stdout)).toMatchObject({ note: { title, body } });
  });

  it("refuses team, member and collection names with control or bidi characters, naming the field, before creating anything", () => {
    const bidi = airlock(["init", "--team", "Field office", "--name", "al\u202eecila", "--home", home("c"), "--json"]);
    expect(bidi.status).toBe(1);
    expect(JSON.parse(bidi.stdout)).toMatchObject({ ok: false, error: { code: "VAULT_UNSAFE_NAME", message: expect.stringContaining("the name (--name)") } });
    expect(existsSync(home("c"))).toBe(false);
    const team = airlock(["init", "--team", "Field\noffice", "--name", "carol", "--home", home("c")]);
    expect(team.stderr).toMatch(/^airlock: error: the team name \(--team\) "Field\\noffice" holds \\n/m);
    expect(existsSync(home("c"))).toBe(false);
    const collection = airlock(["collections", "add", "legal", "--name", "Legal\x1b]0;owned\x07", "--home", home("a")]);
    expect(collection.status).toBe(1);
    expect(collection.stderr).toMatch(/^airlock: error: the collection name "Legal\\x1b\]0;owned\\x07" holds \\x1b/m);
    expect(collection.stderr).not.toMatch(RAW);
  });
});
