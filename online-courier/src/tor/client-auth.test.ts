import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TransportKey } from "@airlock/shared";
import { base32, onionClientAuthKeys, writeClientAuthFile } from "./client-auth.js";

function fromBase32(s: string): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of s) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

describe("onion client authorization keys", () => {
  it("encodes base32 as RFC 4648 (test vectors, no padding)", () => {
    const enc = (s: string): string => base32(new TextEncoder().encode(s));
    expect(["", "f", "fo", "foo", "foob", "fooba", "foobar"].map(enc)).toEqual(["", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"]);
  });

  it("derives the same pair from the same transport key, and a different one from another", () => {
    const raw = new Uint8Array(32).fill(9);
    const a = onionClientAuthKeys(new TransportKey(raw));
    const b = onionClientAuthKeys(new TransportKey(raw));
    const c = onionClientAuthKeys(TransportKey.generate());
    expect(a).toEqual(b);
    expect(c.publicKeyBase32).not.toBe(a.publicKeyBase32);
    expect(a.publicKeyBase32).toMatch(/^[A-Z2-7]{52}$/);
    expect(a.privateKeyBase32).toMatch(/^[A-Z2-7]{52}$/);
  });

  it("gives a public key that is X25519 of the private key", () => {
    const { publicKeyBase32, privateKeyBase32 } = onionClientAuthKeys(TransportKey.generate());
    const d = Buffer.from(fromBase32(privateKeyBase32)).toString("base64url");
    const x = Buffer.from(createPublicKey(createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), Buffer.from(d, "base64url")]), format: "der", type: "pkcs8" })).export({ format: "jwk" }).x!, "base64url");
    expect(base32(x)).toBe(publicKeyBase32);
  });

  it("does not wipe or change the transport key it derives from", () => {
    const tk = TransportKey.generate();
    const before = tk.mailboxId(1);
    onionClientAuthKeys(tk);
    expect(tk.mailboxId(1)).toBe(before);
  });

  it("writes tor's .auth_private file, private to this user", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-onion-auth-"));
    try {
      const address = `${"a".repeat(55)}d.onion`;
      const { privateKeyBase32 } = onionClientAuthKeys(TransportKey.generate());
      const path = await writeClientAuthFile(join(dir, "auth"), address, privateKeyBase32);
      expect(await readFile(path, "utf8")).toBe(`${"a".repeat(55)}d:descriptor:x25519:${privateKeyBase32}\n`);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, "auth"))).mode & 0o777).toBe(0o700);
      await expect(writeClientAuthFile(dir, "../evil.onion", privateKeyBase32)).rejects.toThrow(TypeError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
