#!/usr/bin/env node
/**
 * `npm run bench`, release part (issue #18): builds a release in a temporary folder, then
 * measures, each against a baseline taken in the same run:
 * - release.tarball: its size against the unpacked tree it holds;
 * - release.install: install.sh (signature, checksum, unpack, switch) against `cp -r` of the tree;
 * - release.cold-start: `airlock --version` from the installed release against the development
 *   checkout (target: no slower).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Buffer } from "node:buffer";
import { fileURLToPath, URL } from "node:url";
import { encodeSecretKey, mergeBenchResults, newReleaseKey, printFigure } from "@airlock/shared";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function must(r, what) {
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stdout}${r.stderr}`);
  return r;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed(fn) {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const root = mkdtempSync(join(tmpdir(), "airlock-bench-release-"));
try {
  const key = join(root, "release.key");
  writeFileSync(key, encodeSecretKey(newReleaseKey()), { mode: 0o600 });
  const out = join(root, "rel");
  const built = JSON.parse(must(spawnSync(process.execPath, [join(ROOT, "release", "build.mjs"), "--out", out, "--key", key, "--json"], { encoding: "utf8", cwd: ROOT }), "release build").stdout);
  const raw = Buffer.from(readFileSync(join(out, "airlock-release.pub"), "utf8").split("\n")[1], "base64");
  const fingerprint = spawnSync("sha256sum", { input: raw.subarray(2) }).stdout.toString().slice(0, 40);
  const installs = [];
  const copies = [];
  for (let i = 0; i < 3; i++) {
    const prefix = join(root, `install-${i}`);
    installs.push(timed(() => must(spawnSync("sh", [join(out, "install.sh"), "--prefix", prefix, "--bin", join(prefix, "bin"), "--fingerprint", fingerprint], { encoding: "utf8", cwd: out }), "install")));
    copies.push(timed(() => must(spawnSync("cp", ["-r", join(prefix, "versions"), join(root, `copy-${i}`)], { encoding: "utf8" }), "cp -r")));
  }
  const released = join(root, "install-0", "bin", "airlock");
  const dev = join(ROOT, "offline-signer", "bin", "airlock.js");
  const fromRelease = [];
  const fromDev = [];
  for (let i = 0; i < 7; i++) {
    fromRelease.push(timed(() => must(spawnSync(released, ["--version"], { encoding: "utf8" }), "airlock --version (release)")));
    fromDev.push(timed(() => must(spawnSync(process.execPath, [dev, "--version"], { encoding: "utf8" }), "airlock --version (checkout)")));
  }
  const figures = [
    { name: "release.tarball", value: built.bytes, unit: "B", baseline: built.unpackedBytes, ratio: built.bytes / built.unpackedBytes, note: `airlock-${built.version}-linux-x64.tar.gz (gzip -6) against the ${(built.unpackedBytes / 1e6).toFixed(0)} MB tar it compresses (lower is better)` },
    { name: "release.install", value: median(installs), unit: "ms", baseline: median(copies), ratio: median(installs) / median(copies), note: "install.sh (fingerprint, signature, SHA-256, unpack, atomic switch), median of 3, against cp -r of the installed tree (lower is better)" },
    { name: "release.cold-start", value: median(fromRelease), unit: "ms", baseline: median(fromDev), ratio: median(fromRelease) / median(fromDev), note: "airlock --version from the installed release against the development checkout, median of 7 (target: ratio <= 1)" },
  ];
  console.log("\n== release: size, install time, cold start (lower is better)");
  figures.forEach(printFigure);
  mergeBenchResults(join(ROOT, "bench-results.json"), figures);
} finally {
  rmSync(root, { recursive: true, force: true });
}
