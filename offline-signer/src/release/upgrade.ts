/**
 * `airlock upgrade`: installs a newer release beside the running one, the way install.sh does
 * (docs/install.md): the release key this installation trusts checks SHA256SUMS.sig, SHA256SUMS
 * checks the tarball, and only then is anything unpacked — into versions/V, after which the
 * `current` link is switched by one rename and the one before is kept as `previous` for
 * `--rollback`. The vault itself is migrated (with a backup taken first) on its next unlock.
 *
 * An installation is found from the running Node binary: PREFIX/versions/V/node/bin/node.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { AirlockError, decodePublicKey, MAX_KEY_FILE_BYTES, MAX_SUMS_BYTES, parseSums, verifyRelease } from "@airlock/shared";

export interface Installation {
  readonly prefix: string;
  /** The version `current` points at. */
  readonly current: string;
  /** The version `previous` points at, if any. */
  readonly previous: string | undefined;
}

const TARBALL = /^airlock-(\d+\.\d+\.\d+)-linux-x64\.tar\.gz$/;

function fail(code: string, message: string, hint: string): never {
  throw new AirlockError(code, message, { hint });
}

/** The version a link like `versions/1.2.3` names. */
function linked(path: string): string | undefined {
  try {
    const target = readlinkSync(path);
    const m = /^versions\/(\d+\.\d+\.\d+)$/.exec(target);
    return m?.[1];
  } catch {
    return undefined;
  }
}

/** The installation the running airlock belongs to, or undefined in a development checkout. */
export function findInstallation(execPath = process.execPath): Installation | undefined {
  const prefix = resolve(dirname(execPath), "..", "..", "..", "..");
  if (basename(resolve(dirname(execPath), "..", "..", "..")) !== "versions") return undefined;
  const current = linked(join(prefix, "current"));
  if (current === undefined || !existsSync(join(prefix, "airlock-release.pub"))) return undefined;
  return { prefix, current, previous: linked(join(prefix, "previous")) };
}

export function requireInstallation(): Installation {
  const found = findInstallation();
  if (found === undefined) fail("UPGRADE_NOT_INSTALLED", "this airlock does not run from an installed release", "upgrade works on a release installed with install.sh (docs/install.md); a development checkout updates with git");
  return found;
}

/** -1, 0 or 1 as MAJOR.MINOR.PATCH a is below, equal to or above b. */
export function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

function readBounded(path: string, max: number, what: string): string {
  if (!existsSync(path)) fail("UPGRADE_MISSING_FILE", `${what} is not beside the release (${path})`, "copy the release folder whole: the tarball, SHA256SUMS and SHA256SUMS.sig");
  if (statSync(path).size > max) fail("RELEASE_BAD_SUMS", `${what} is larger than ${max} bytes`, "copy the release files again");
  return readFileSync(path, "utf8");
}

function sha256File(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

export interface VerifiedRelease {
  readonly tarball: string;
  readonly version: string;
}

/**
 * Checks a release folder (or its tarball's path) against the trusted key: signature over
 * SHA256SUMS, then the tarball's SHA-256. Reads nothing inside the tarball.
 */
export function verifyReleaseFiles(path: string, trustedKeyFile: string): VerifiedRelease {
  const dir = existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
  const sumsText = readBounded(join(dir, "SHA256SUMS"), MAX_SUMS_BYTES, "SHA256SUMS");
  const sigText = readBounded(join(dir, "SHA256SUMS.sig"), MAX_KEY_FILE_BYTES, "SHA256SUMS.sig");
  const key = decodePublicKey(readBounded(trustedKeyFile, MAX_KEY_FILE_BYTES, "the trusted release key"));
  verifyRelease(key, sigText, Buffer.from(sumsText, "utf8"));
  const sums = parseSums(sumsText);
  const named = [...sums.keys()].filter((n) => TARBALL.test(n));
  if (named.length !== 1) fail("RELEASE_BAD_SUMS", "SHA256SUMS does not name exactly one release tarball", "copy the release files again");
  const name = named[0]!;
  if (dir !== path && basename(path) !== name) fail("UPGRADE_MISSING_FILE", `SHA256SUMS is for ${name}, not ${basename(path)}`, "give the tarball SHA256SUMS names, or the folder that holds it");
  const tarball = join(dir, name);
  if (!existsSync(tarball)) fail("UPGRADE_MISSING_FILE", `${name} is not in ${dir}`, "copy it with SHA256SUMS");
  if (sha256File(tarball) !== sums.get(name)) fail("RELEASE_BAD_CHECKSUM", `${name} does not match SHA256SUMS: altered, truncated or damaged`, "copy it again from the release folder; nothing was installed");
  return { tarball, version: TARBALL.exec(name)![1]! };
}

/** Points `link` at `target` by one rename, so no reader ever sees it missing. */
function switchLink(link: string, target: string): void {
  const next = `${link}.new`;
  rmSync(next, { force: true });
  symlinkSync(target, next);
  renameSync(next, link);
}

export interface UpgradeResult {
  readonly from: string;
  readonly to: string;
  readonly prefix: string;
}

/** Verifies, unpacks beside the running release, and switches `current` (keeping `previous`). */
export function upgrade(path: string, options: { allowDowngrade?: boolean } = {}): UpgradeResult {
  const inst = requireInstallation();
  const { tarball, version } = verifyReleaseFiles(path, join(inst.prefix, "airlock-release.pub"));
  const order = compareVersions(version, inst.current);
  if (order === 0) fail("UPGRADE_SAME_VERSION", `airlock ${version} is already the installed version`, "nothing to do");
  if (order < 0 && options.allowDowngrade !== true) {
    fail("UPGRADE_DOWNGRADE", `airlock ${version} is older than the installed ${inst.current}`, "a vault an upgrade migrated does not open with an older release; use --allow-downgrade only if you know it is safe");
  }
  const versions = join(inst.prefix, "versions");
  const unpack = join(versions, `.unpack-${version}`);
  rmSync(unpack, { recursive: true, force: true });
  mkdirSync(unpack, { recursive: true });
  try {
    const tar = spawnSync("tar", ["-xzf", tarball, "--no-same-owner", "-C", unpack], { encoding: "utf8" });
    if (tar.status !== 0) fail("UPGRADE_UNPACK", `the release could not be unpacked: ${(tar.stderr || tar.error?.message || "").trim().split("\n")[0]}`, "check the free space in the installation's folder");
    const tree = join(unpack, `airlock-${version}-linux-x64`);
    if (!existsSync(join(tree, "bin", "airlock")) || lstatSync(join(tree, "bin", "airlock")).isSymbolicLink()) fail("UPGRADE_UNPACK", "the tarball does not hold an airlock release", "copy the release files again");
    rmSync(join(versions, version), { recursive: true, force: true });
    renameSync(tree, join(versions, version));
  } finally {
    rmSync(unpack, { recursive: true, force: true });
  }
  switchLink(join(inst.prefix, "previous"), `versions/${inst.current}`);
  switchLink(join(inst.prefix, "current"), `versions/${version}`);
  return { from: inst.current, to: version, prefix: inst.prefix };
}

/** Switches back to the release before the last upgrade (and keeps the newer one as `previous`). */
export function rollback(): UpgradeResult {
  const inst = requireInstallation();
  if (inst.previous === undefined || !existsSync(join(inst.prefix, "versions", inst.previous))) {
    fail("UPGRADE_NO_PREVIOUS", "there is no earlier release to go back to", "rollback returns to the release an upgrade replaced");
  }
  switchLink(join(inst.prefix, "current"), `versions/${inst.previous}`);
  switchLink(join(inst.prefix, "previous"), `versions/${inst.current}`);
  return { from: inst.current, to: inst.previous, prefix: inst.prefix };
}
