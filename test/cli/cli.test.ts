/** The two CLIs as users and scripts meet them: real processes, real files. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ed25519KeyPair, randomBytes, sealBundle, toHex, x25519KeyPair } from "@airlock/bundle-format";
import { runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "airlock-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("airlock (vault)", () => {
  it("with no command runs the bundle-format self-check", () => {
    const r = runCli("airlock", []);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("All checks passed");
    expect(r.stdout).toContain("BUNDLE_NOT_FOR_ME");
  });

  it("--json gives one parseable object", () => {
    const r = runCli("airlock", ["--json"]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; steps: { step: string; ok: boolean }[] };
    expect(out.ok).toBe(true);
    expect(out.steps.map((s) => s.step)).toEqual(["seal", "courier view", "open", "stranger", "tampered copy"]);
  });

  it("--help is useful", () => {
    const r = runCli("airlock", ["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("USAGE");
    for (const topic of ["init", "join", "members", "notes", "export", "import", "courier-enroll", "status"]) expect(r.stdout).toContain(topic);
  });

  it("an unknown command is a usage error: exit 2, an error line and a hint (docs/cli.md)", () => {
    const r = runCli("airlock", ["frobnicate", "--team", "x"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(2);
    expect(r.stderr).toMatch(/^airlock: error: no command "frobnicate"\nairlock: hint: /);
  });
});

describe("airlock-courier inspect", () => {
  const tag = randomBytes(16);
  const bundle = sealBundle(randomBytes(5000), { recipients: [x25519KeyPair().publicKey], sender: ed25519KeyPair(), mailboxTag: tag });
  const good = join(dir, "good.bundle");
  writeFileSync(good, bundle);

  it("shows only what a courier may see", () => {
    const r = runCli("airlock-courier", ["inspect", good, "--json"]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { bundles: Record<string, unknown>[] };
    expect(out.bundles[0]).toEqual({ file: good, formatVersion: 1, suite: 1, mailboxTag: toHex(tag), length: bundle.length, slots: 4 });
  });

  it("reports a damaged bundle with error and hint lines, or as JSON", () => {
    const cut = join(dir, "cut.bundle");
    writeFileSync(cut, bundle.subarray(0, 700));
    const r = runCli("airlock-courier", ["inspect", cut]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^airlock-courier: error: bundle is 700 bytes but declares \d+; it was cut short\nairlock-courier: hint: /);
    const j = runCli("airlock-courier", ["inspect", cut, "--json"]);
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: "BUNDLE_TRUNCATED" } });
  });

  it("refuses a file that is not a bundle", () => {
    const other = join(dir, "notes.txt");
    writeFileSync(other, "hello");
    const r = runCli("airlock-courier", ["inspect", other, "--json"]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "BUNDLE_MALFORMED" } });
  });
});
