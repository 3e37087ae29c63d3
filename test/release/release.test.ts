/**
 * The release as a user gets it (issue #18, docs/install.md): `npm run release`'s builder run for
 * real, twice for the same commit (byte-identical) and once as a newer version; then, with the
 * network switched off for every process (a new network namespace, `unshare -n`), install.sh
 * verifies and installs it, the installed `airlock` runs a note round trip between two vaults over
 * a USB folder, and `airlock upgrade` moves to the newer release and back. Tampered, truncated
 * and wrongly signed releases are refused before anything is unpacked.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeSecretKey, newReleaseKey, signRelease } from "@airlock/shared";
import { fingerprintArgs } from "../../offline-signer/test-support/fingerprint.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUILD = join(ROOT, "release", "build.mjs");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const NEXT = VERSION.replace(/\d+$/, (p) => String(Number(p) + 1));
const TARBALL = `airlock-${VERSION}-linux-x64.tar.gz`;

const unshare = spawnSync("unshare", ["-n", "true"]).status === 0;
const signify = spawnSync("signify-openbsd", ["-h"]).error === undefined;
if (!unshare) console.log("release tests run with the network on: `unshare -n` is not permitted here (util-linux, and root or user namespaces)");
if (!signify) console.log("skipping the signify-openbsd cross-check: install the Debian package signify-openbsd");

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command with no network (when the kernel lets us), as on the air-gapped laptop. */
function offline(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const [file, argv] = unshare ? ["unshare", ["-n", cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: "utf8", cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function build(out: string, key: string, version?: string): void {
  const r = spawnSync(process.execPath, [BUILD, "--out", out, "--key", key, "--json", ...(version === undefined ? [] : ["--version", version])], { encoding: "utf8", cwd: ROOT, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`release build failed:\n${r.stdout}${r.stderr}`);
}

function fingerprintOf(dir: string): string {
  const raw = Buffer.from(readFileSync(join(dir, "airlock-release.pub"), "utf8").split("\n")[1]!, "base64");
  const r = spawnSync("sha256sum", { input: raw.subarray(2) });
  return r.stdout.toString().slice(0, 40).toUpperCase();
}

let root: string;
let rel: string;

beforeAll(() => {
  // CI installs every tool (.ci/run): a skip there would hide a missing check.
  if (process.env["AIRLOCK_REQUIRE_TOOLS"] === "1" && (!signify || !unshare)) throw new Error("AIRLOCK_REQUIRE_TOOLS=1 but signify-openbsd or unshare -n is unavailable");
  root = mkdtempSync(join(tmpdir(), "airlock-release-test-"));
  const key = join(root, "release.key");
  writeFileSync(key, encodeSecretKey(newReleaseKey()), { mode: 0o600 });
  rel = join(root, "rel");
  build(rel, key);
  build(join(root, "rel-again"), key);
  build(join(root, "rel-next"), key, NEXT);
}, 600_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("release", () => {
  it("two builds of one commit are byte-identical, and signify-openbsd accepts the signature", () => {
    for (const f of [TARBALL, "SHA256SUMS", "SHA256SUMS.sig", "install.sh", "airlock-release.pub"]) {
      expect(readFileSync(join(root, "rel-again", f)).equals(readFileSync(join(rel, f))), f).toBe(true);
    }
    if (signify) {
      const r = spawnSync("signify-openbsd", ["-V", "-q", "-p", join(rel, "airlock-release.pub"), "-x", join(rel, "SHA256SUMS.sig"), "-m", join(rel, "SHA256SUMS")]);
      expect(r.status).toBe(0);
    }
  });

  it("refuses a wrong fingerprint, another key's signature, a tampered and a truncated tarball before unpacking", () => {
    const cases: [string, (dir: string) => void, RegExp, string?][] = [
      ["wrong fingerprint", () => undefined, /fingerprint is not the one you gave/, "0000 0000 0000 0000 0000 0000 0000 0000 0000 0000"],
      ["no fingerprint", () => undefined, /not trusted yet/, ""],
      ["another key", (d) => writeFileSync(join(d, "SHA256SUMS.sig"), signRelease(newReleaseKey(), readFileSync(join(d, "SHA256SUMS")))), /signed with another key/],
      ["tampered", (d) => {
        const b = readFileSync(join(d, TARBALL));
        b[b.length >> 1]! ^= 1;
        writeFileSync(join(d, TARBALL), b);
      }, /does not match SHA256SUMS/],
      ["truncated", (d) => writeFileSync(join(d, TARBALL), readFileSync(join(d, TARBALL)).subarray(0, 1 << 20)), /does not match SHA256SUMS/],
      ["altered sums", (d) => writeFileSync(join(d, "SHA256SUMS"), readFileSync(join(d, "SHA256SUMS"), "utf8").replace(/^./, (c) => (c === "0" ? "1" : "0"))), /signature does not match/],
    ];
    for (const [name, spoil, why, fp] of cases) {
      const dir = join(root, `bad-${name.replace(/ /g, "-")}`);
      cpSync(rel, dir, { recursive: true });
      spoil(dir);
      const prefix = join(dir, "prefix");
      const r = offline("sh", ["install.sh", "--prefix", prefix, "--bin", join(dir, "bin"), ...(fp === "" ? [] : ["--fingerprint", fp ?? fingerprintOf(rel)])], { cwd: dir });
      expect(r.status, name).not.toBe(0);
      expect(r.stderr, name).toMatch(why);
      expect(existsSync(join(prefix, "versions")), `${name}: nothing unpacked`).toBe(false);
    }
  });

  it("installs offline, runs a note round trip over a USB folder, upgrades keeping the vault, rolls back, refuses a downgrade", () => {
    const home = join(root, "user");
    const prefix = join(home, "lib", "airlock");
    const bin = join(home, "bin");
    mkdirSync(home, { recursive: true });
    const inst = offline("sh", [join(rel, "install.sh"), "--prefix", prefix, "--bin", bin, "--fingerprint", fingerprintOf(rel)], { cwd: rel, env: { HOME: home } });
    expect(inst.status, inst.stderr).toBe(0);
    expect(inst.stdout).toContain(`installed airlock ${VERSION}`);
    const airlock = join(bin, "airlock");
    const env = { AIRLOCK_PASSPHRASE: "release test passphrase", AIRLOCK_INSECURE_TEST_KDF: "1" };
    const run = (args: string[]): Record<string, unknown> => {
      const r = offline(airlock, [...args, "--json"], { env });
      if (r.status !== 0) throw new Error(`airlock ${args.join(" ")}: ${r.stdout}${r.stderr}`);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    expect(offline(airlock, ["--version"]).stdout).toMatch(/^@airlock\/offline-signer\/\d+\.\d+\.\d+ linux-x64 node-v\d+/);
    expect(offline(join(bin, "airlock-courier"), ["--help"]).stdout).toContain("courier");
    const [a, b, stick] = ["a", "b", "stick"].map((n) => join(root, "vaults", n));
    mkdirSync(stick!, { recursive: true });
    run(["init", "--team", "Release team", "--name", "alice", "--home", a!]);
    run(["join", "--name", "bob", "--out", join(root, "vaults", "bob.request"), "--home", b!]);
    run(["members", "add", join(root, "vaults", "bob.request"), "--role", "editor", ...fingerprintArgs(join(root, "vaults", "bob.request")), "--home", a!]);
    run(["export", "--usb", stick!, "--home", a!]);
    run(["import", stick!, "--home", b!]);
    run(["notes", "add", "--title", "from the release", "--body", "carried offline", "--home", b!]);
    run(["export", "--usb", stick!, "--home", b!]);
    run(["import", stick!, "--home", a!]);
    const titles = (): unknown[] => (run(["notes", "list", "--home", a!])["notes"] as { title: string }[]).map((n) => n.title);
    expect(titles()).toEqual(["from the release"]);

    // A tampered newer release is refused by airlock itself, before anything is unpacked.
    const bad = join(root, "rel-next-bad");
    cpSync(join(root, "rel-next"), bad, { recursive: true });
    const next = `airlock-${NEXT}-linux-x64.tar.gz`;
    const spoiled = readFileSync(join(bad, next));
    spoiled[1000]! ^= 1;
    writeFileSync(join(bad, next), spoiled);
    const refused = offline(airlock, ["upgrade", join(bad, next), "--json"], { env });
    expect(refused.status).not.toBe(0);
    expect(JSON.parse(refused.stdout).error.code).toBe("RELEASE_BAD_CHECKSUM");
    expect(readdirSync(join(prefix, "versions"))).toEqual([VERSION]);

    expect(run(["upgrade", join(root, "rel-next", next)])).toMatchObject({ from: VERSION, to: NEXT });
    expect(readFileSync(join(prefix, "current", "VERSION"), "utf8").trim()).toBe(NEXT);
    expect(titles()).toEqual(["from the release"]);
    expect(run(["upgrade", "--rollback"])).toMatchObject({ from: NEXT, to: VERSION });
    expect(titles()).toEqual(["from the release"]);
    expect(run(["upgrade", join(root, "rel-next")])).toMatchObject({ to: NEXT });
    const down = offline(airlock, ["upgrade", join(rel, TARBALL), "--json"], { env });
    expect(JSON.parse(down.stdout).error.code).toBe("UPGRADE_DOWNGRADE");
  });
});
