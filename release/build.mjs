#!/usr/bin/env node
/**
 * `npm run release`: builds `airlock-VERSION-linux-x64.tar.gz` — the Node runtime this was built
 * with, the built packages, their production dependencies (native modules already compiled),
 * launchers, licences — plus `install.sh`, the release public key, `SHA256SUMS` over the tarball
 * and installer, and `SHA256SUMS.sig` (signify format). Nothing in it fetches anything at run time.
 * Reproducible: two builds of one commit on one machine are byte-identical (docs/install.md).
 *
 *   node release/build.mjs [--out DIR] [--key FILE] [--version V] [--json]
 *
 * The signing key: --key FILE, else $AIRLOCK_RELEASE_KEY (a file), else release-key/airlock-release.key,
 * made on first use (a key of this checkout, not the project's: say so to whoever installs).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { Buffer } from "node:buffer";
import { fileURLToPath, URL } from "node:url";
import { createHash } from "node:crypto";
import { decodeSecretKey, encodePublicKey, encodeSecretKey, keyFingerprint, newReleaseKey, signRelease } from "@airlock/shared";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HERE = fileURLToPath(new URL(".", import.meta.url));

function args(argv) {
  const out = { out: join(ROOT, "dist-release"), key: process.env.AIRLOCK_RELEASE_KEY, version: undefined, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") out.json = true;
    else if (a === "--out" || a === "--key" || a === "--version") {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      out[a.slice(2)] = v;
    } else if (a === "--help" || a === "-h") {
      console.log("usage: npm run release -- [--out DIR] [--key FILE] [--version V] [--json]\n\nBuilds the signed, self-contained release (docs/install.md).");
      process.exit(0);
    } else usage(`unknown argument ${a}`);
  }
  return out;
}

function usage(message) {
  console.error(`error: ${message}\nhint: npm run release -- --help`);
  process.exit(2);
}

/** The signing key, made on first use when none is given. */
function signingKey(path) {
  if (path !== undefined) return { key: decodeSecretKey(readFileSync(path, "utf8")), made: false, path };
  const local = join(ROOT, "release-key", "airlock-release.key");
  if (existsSync(local)) return { key: decodeSecretKey(readFileSync(local, "utf8")), made: false, path: local };
  mkdirSync(dirname(local), { recursive: true, mode: 0o700 });
  const key = newReleaseKey();
  writeFileSync(local, encodeSecretKey(key), { mode: 0o600, flag: "wx" });
  return { key, made: true, path: local };
}

/** The commit time: every file in the tarball carries it, so a rebuild gives the same bytes. */
function sourceEpoch() {
  if (process.env.SOURCE_DATE_EPOCH !== undefined) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(execFileSync("git", ["log", "-1", "--format=%ct"], { cwd: ROOT, encoding: "utf8" }).trim());
  } catch {
    return 0;
  }
}

const SKIP_ALWAYS = /(^|\/)(\.[^/]*|node_modules)$/;
// Types, maps and docs serve developers, not a running airlock; licences stay.
const DEV_ONLY = /\.(d\.ts|d\.mts|d\.cts|map|tsbuildinfo|md|markdown)$|(^|\/)(test|tests|__tests__|docs?|example|examples|\.github)$/i;
const LICENCE = /^(licen[cs]e|copying|notice|authors)([.-].*)?$/i;

/** What of a dependency ships: everything a running program loads; for a native addon, only the built addon. */
function shipDependency(src, dest) {
  const native = existsSync(join(src, "binding.gyp"));
  walk(src, "", (rel, isDir) => {
    if (SKIP_ALWAYS.test(rel)) return false;
    if (LICENCE.test(basename(rel))) return true;
    if (DEV_ONLY.test(rel)) return false;
    if (native && /^(deps|src)(\/|$)/.test(rel)) return false;
    if (native && rel.startsWith("build")) return isDir ? rel === "build" || rel === "build/Release" : /^build\/Release\/[^/]+\.node$/.test(rel) && !rel.endsWith("test_extension.node");
    // Prebuilt addons (node-gyp-build's layout, e.g. sodium-native): only this machine's platform.
    if (/^prebuilds\/[^/]+/.test(rel)) return rel.startsWith(`prebuilds/${process.platform}-${process.arch}`);
    return true;
  }, dest);
}

/** Our own packages: their package.json, bin shims and compiled code without tests, benches or test support. */
function shipWorkspace(src, dest) {
  walk(src, "", (rel) => {
    if (rel === "package.json" || LICENCE.test(rel)) return true;
    if (!/^(bin|dist)(\/|$)/.test(rel)) return false;
    if (/^dist\/(bench|test-support|vectors|fuzz)(\/|$)/.test(rel)) return false;
    return !/\.test\.(js|mjs|d\.ts)$|\.(d\.ts|map|tsbuildinfo)$/.test(rel) && !/(^|\/)[^/]*-child\.mjs$/.test(rel);
  }, dest);
}

function walk(src, rel, keep, dest) {
  const here = join(src, rel);
  for (const name of readdirSync(here).sort()) {
    const r = rel === "" ? name : `${rel}/${name}`;
    const st = lstatSync(join(src, r));
    if (st.isSymbolicLink()) continue; // nothing a release needs is a link; links could point out of the tree
    if (!keep(r, st.isDirectory())) continue;
    if (st.isDirectory()) walk(src, r, keep, dest);
    else {
      mkdirSync(dirname(join(dest, r)), { recursive: true });
      copyFileSync(join(src, r), join(dest, r));
      if (st.mode & 0o111) chmodSync(join(dest, r), 0o755);
    }
  }
}

const LAUNCHER = (entry) => `#!/bin/sh
# Airlock launcher: runs the Node runtime and packages shipped beside it, nothing from the system.
here=$(dirname "$(readlink -f "$0")")
exec "$here/../node/bin/node" "$here/../lib/node_modules/${entry}" "$@"
`;

/** Fixed modes and times on every file, so the tarball depends on content only. */
function normalize(dir, epoch) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) {
      normalize(p, epoch);
      chmodSync(p, 0o755);
    } else chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
    utimesSync(p, epoch, epoch);
  }
}

function sha256File(path) {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function main() {
  const opts = args(process.argv.slice(2));
  const rootPkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const version = opts.version ?? rootPkg.version;
  if (!/^\d+\.\d+\.\d+$/.test(version)) usage(`version ${version} is not MAJOR.MINOR.PATCH`);
  const name = `airlock-${version}-linux-x64`;
  const epoch = sourceEpoch();
  const { key, made, path: keyPath } = signingKey(opts.key);
  const stage = mkdtempSync(join(tmpdir(), "airlock-release-"));
  const tree = join(stage, name);
  try {
    // The runtime this was built with, and its licence.
    mkdirSync(join(tree, "node", "bin"), { recursive: true });
    copyFileSync(process.execPath, join(tree, "node", "bin", "node"));
    chmodSync(join(tree, "node", "bin", "node"), 0o755);
    const nodeLicence = [join(dirname(process.execPath), "..", "share", "doc", "node", "LICENSE"), "/usr/share/doc/nodejs/LICENSE"].find((p) => existsSync(p));
    if (nodeLicence === undefined) throw new Error("the Node runtime's LICENSE was not found; it must ship with the runtime");
    copyFileSync(nodeLicence, join(tree, "node", "LICENSE"));

    // Production dependencies as npm resolved them, and our packages.
    const listed = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: ROOT, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 })
      .split("\n")
      .filter((l) => l.startsWith(join(ROOT, "node_modules") + "/"));
    const licences = [];
    for (const path of [...new Set(listed)].sort()) {
      const rel = relative(join(ROOT, "node_modules"), path);
      if (rel === "@airlock/e2e") continue; // the end-to-end tests
      const dest = join(tree, "lib", "node_modules", rel);
      const real = realpathSync(path);
      const pkg = JSON.parse(readFileSync(join(real, "package.json"), "utf8"));
      if (rel.startsWith("@airlock/")) shipWorkspace(real, dest);
      else shipDependency(real, dest);
      licences.push(`${pkg.name}@${pkg.version}\t${typeof pkg.license === "string" ? pkg.license : JSON.stringify(pkg.license ?? "see its folder")}\tlib/node_modules/${rel}`);
    }
    writeFileSync(join(tree, "LICENSES.txt"), [
      "Everything this release ships, with its licence (each package's own licence file is in its folder).",
      `airlock@${version}\t${rootPkg.license}\t(this project)`,
      `node@${process.versions.node}\tMIT and others\tnode/LICENSE`,
      ...licences,
      "",
    ].join("\n"));
    if (existsSync(join(ROOT, "LICENSE"))) copyFileSync(join(ROOT, "LICENSE"), join(tree, "LICENSE"));

    mkdirSync(join(tree, "bin"));
    writeFileSync(join(tree, "bin", "airlock"), LAUNCHER("@airlock/offline-signer/bin/airlock.js"), { mode: 0o755 });
    writeFileSync(join(tree, "bin", "airlock-courier"), LAUNCHER("@airlock/online-courier/bin/airlock-courier.js"), { mode: 0o755 });
    mkdirSync(join(tree, "share"));
    // The key this release trusts for `airlock upgrade`: the one it was signed with.
    writeFileSync(join(tree, "share", "airlock-release.pub"), encodePublicKey(key));
    copyFileSync(join(HERE, "install.sh"), join(tree, "share", "install.sh"));
    chmodSync(join(tree, "share", "install.sh"), 0o755);
    writeFileSync(join(tree, "VERSION"), `${version}\n`);
    normalize(tree, epoch);
    utimesSync(tree, epoch, epoch);

    mkdirSync(opts.out, { recursive: true });
    const tarball = join(opts.out, `${name}.tar.gz`);
    // Sorted names, fixed owner and times, no gzip name or time stamp: the same tree gives the same bytes.
    const tar = execFileSync("tar", ["--sort=name", `--mtime=@${epoch}`, "--owner=0", "--group=0", "--numeric-owner", "--format=gnu", "-C", stage, "-cf", "-", name], { maxBuffer: 1 << 30 });
    writeFileSync(tarball, execFileSync("gzip", ["-n", "-6"], { input: tar, maxBuffer: 1 << 30 }));
    copyFileSync(join(HERE, "install.sh"), join(opts.out, "install.sh"));
    chmodSync(join(opts.out, "install.sh"), 0o755);
    writeFileSync(join(opts.out, "airlock-release.pub"), encodePublicKey(key));
    const sums = [`${name}.tar.gz`, "install.sh"].sort().map((f) => `${sha256File(join(opts.out, f))}  ${f}\n`).join("");
    writeFileSync(join(opts.out, "SHA256SUMS"), sums);
    writeFileSync(join(opts.out, "SHA256SUMS.sig"), signRelease(key, Buffer.from(sums)));
    const summary = { version, tarball, bytes: statSync(tarball).size, unpackedBytes: tar.length, fingerprint: keyFingerprint(key), key: keyPath, keyMade: made, epoch };
    if (opts.json) console.log(JSON.stringify(summary));
    else {
      console.log(`built ${relative(process.cwd(), tarball) || tarball} (${(summary.bytes / 1e6).toFixed(1)} MB; ${(summary.unpackedBytes / 1e6).toFixed(1)} MB unpacked)`);
      console.log(`signed with the key in ${keyPath}${made ? " (made now: a key of this checkout, not the project's release key)" : ""}`);
      console.log(`release key fingerprint: ${summary.fingerprint}`);
      console.log(`beside it: install.sh, airlock-release.pub, SHA256SUMS, SHA256SUMS.sig (docs/install.md)`);
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

main();
