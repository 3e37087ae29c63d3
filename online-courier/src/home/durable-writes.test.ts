/**
 * R14: the courier's home files are written whole and durably. Two kinds of evidence:
 *
 * - What can be seen in the files: complete, 0600, no temp file left when a write fails, an
 *   existing key never replaced.
 * - The system calls of the real CLI (`keygen`, `init`) under strace: each home file is fsynced
 *   under its temp name before it is linked or renamed to its name, and its folder is fsynced
 *   after; the new home folder's parent is fsynced after the mkdir. That is the order that makes
 *   a power cut lose nothing once the command returned, on a file system and disk that honour
 *   fsync; no test here can cut the power, so whether the disk honours it is not shown.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { makeEnrollment, makeTeam } from "../../test-support/enrollment.js";
import { tempDir } from "../../test-support/courier-home.js";
import { ATOMIC_TEMP_PREFIX, writeFileAtomic, type LinkFunction } from "./atomic-write.js";
import { generateCourierKey, parsePublicKey } from "./courier-key.js";
import { createHome, requireHome, resolveHome } from "./paths.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "airlock-courier.js");
const root = realpathSync(tempDir("durable-writes"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const temps = (folder: string): string[] => readdirSync(folder).filter((n) => n.startsWith(ATOMIC_TEMP_PREFIX));

describe("the courier's home files, as they can be seen", () => {
  it("courier.key is complete and 0600, an existing one is never replaced, and no temp file is left", () => {
    const home = resolveHome(join(root, "seen"));
    createHome(home);
    generateCourierKey(home).secretKey.fill(0);
    const written = readFileSync(home.keyFile, "utf8");
    expect(written).toMatch(/^airlock-courier-secret:v1:[0-9a-f]{64}\n$/);
    expect(statSync(home.keyFile).mode & 0o777).toBe(0o600);
    expect(() => generateCourierKey(home)).toThrow(expect.objectContaining({ code: "COURIER_KEY_EXISTS" }));
    expect(readFileSync(home.keyFile, "utf8")).toBe(written);
    expect(temps(home.root)).toEqual([]);
  });

  it("a write that fails leaves the old file and no temp file", () => {
    const folder = join(root, "failing");
    mkdirSync(folder);
    const file = join(folder, "teams.json");
    writeFileAtomic(file, "old\n");
    // replace: false over an existing file: EEXIST, the old bytes stay.
    expect(() => writeFileAtomic(file, "new\n", 0o600, { replace: false })).toThrow(expect.objectContaining({ code: "EEXIST" }));
    expect(readFileSync(file, "utf8")).toBe("old\n");
    // A rename that fails (the name is a folder that is not empty).
    const blocked = join(folder, "blocked");
    mkdirSync(blocked);
    writeFileSync(join(blocked, "x"), "x");
    expect(() => writeFileAtomic(blocked, "new\n")).toThrow();
    expect(temps(folder)).toEqual([]);
    // A folder it may not write into: nothing at all is made.
    const readOnly = join(root, "read-only");
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o500);
    try {
      if (process.getuid?.() !== 0) expect(() => writeFileAtomic(join(readOnly, "teams.json"), "new\n")).toThrow(expect.objectContaining({ code: "EACCES" }));
    } finally {
      chmodSync(readOnly, 0o700);
    }
    expect(readdirSync(readOnly)).toEqual([]);
  });
});

const TRACED = "openat,mkdir,mkdirat,fsync,fdatasync,rename,renameat,renameat2,link,linkat";
const canTrace = spawnSync("strace", ["-qq", "-e", "trace=none", "true"], { stdio: "ignore" }).status === 0;
if (!canTrace) console.warn("SKIPPED the courier's home files under strace: strace cannot run here (Debian package strace)");

interface Traced {
  readonly lines: readonly string[];
  /** Line indexes of fsync/fdatasync calls on a descriptor of `path` (strace -y shows it). */
  fsyncs(path: string): number[];
  /** The line index of the link or rename that gave `path` its name, and the temp name it came from. */
  named(path: string): { at: number; from: string };
}

/** The real CLI as a child process under strace -f -y: the file system calls it made, in order. */
function traceCli(args: string[], env: NodeJS.ProcessEnv = {}): Traced {
  const out = join(root, `trace-${Math.random().toString(16).slice(2)}.txt`);
  const r = spawnSync("strace", ["-f", "-y", "-qq", "-s", "4096", "-e", `trace=${TRACED}`, "-o", out, process.execPath, BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const lines = readFileSync(out, "utf8").split("\n");
  return {
    lines,
    fsyncs: (path) => lines.flatMap((l, i) => (new RegExp(`\\b(fsync|fdatasync)\\(\\d+<${escape(path)}>`).test(l) ? [i] : [])),
    named: (path) => {
      const found = lines.flatMap((l, i) => {
        const m = /\b(?:link|linkat|rename|renameat|renameat2)\(.*?"([^"]+)".*?"([^"]+)"/.exec(l);
        // A call another thread interrupted is split ("<unfinished ...>"); a failed one ends "= -1 E...".
        return m !== null && m[2] === path && !/= -1 /.test(l) ? [{ at: i, from: m[1]! }] : [];
      });
      expect(found, `no link or rename to ${path} in the trace`).toHaveLength(1);
      return found[0]!;
    },
  };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe.skipIf(!canTrace)("the courier's home files, as the system calls show (strace)", () => {
  it("keygen and init fsync each home file before it is named, and its folder after; a new home's parent is fsynced", () => {
    const homeRoot = join(root, "traced", "home");
    const home = resolveHome(homeRoot);
    const keygen = traceCli(["keygen", "--home", homeRoot, "--out", join(root, "traced.pub")]);
    // The home (and the folder above it, new too) made, then each parent fsynced.
    const made = keygen.lines.findIndex((l) => l.includes(`"${homeRoot}"`) && /\bmkdir(at)?\(/.test(l));
    expect(made).toBeGreaterThanOrEqual(0);
    expect(keygen.fsyncs(dirname(homeRoot)).some((i) => i > made)).toBe(true);
    expect(keygen.fsyncs(root).some((i) => i > made)).toBe(true);

    const store = join(root, "traced", "store");
    mkdirSync(store);
    const enrollment = join(root, "traced.enrollment");
    writeFileSync(enrollment, makeEnrollment(makeTeam("Traced"), parsePublicKey(readFileSync(join(root, "traced.pub"), "utf8")), `dir:${store}`));
    const init = traceCli(["init", enrollment, "--home", homeRoot]);

    for (const [trace, file] of [
      [keygen, home.keyFile],
      [init, home.teamsFile],
    ] as const) {
      const { at, from } = trace.named(file);
      expect(dirname(from)).toBe(home.root);
      expect(trace.fsyncs(from).some((i) => i < at), `${file}: its bytes fsynced before it is named`).toBe(true);
      expect(trace.fsyncs(home.root).some((i) => i > at), `${file}: the home folder fsynced after it is named`).toBe(true);
    }
    expect(readFileSync(home.keyFile, "utf8")).toMatch(/^airlock-courier-secret:v1:[0-9a-f]{64}\n$/);
    expect(statSync(home.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(home.teamsFile).mode & 0o777).toBe(0o600);
    expect(temps(home.root)).toEqual([]);
  });
});

/** A file system without hard links, as FAT or exFAT answers a link. */
const noHardLinks: LinkFunction = () => {
  throw Object.assign(new Error("EPERM: operation not permitted, link"), { code: "EPERM" });
};

const keyOf = (file: string): string => readFileSync(file, "utf8").trim().split(":").at(-1)!;

describe("courier.key where hard links are not supported", () => {
  it("is made under its own name, complete and 0600, never over an existing key, with no temp file left", () => {
    const home = resolveHome(join(root, "no-links"));
    createHome(home);
    const pair = generateCourierKey(home, { link: noHardLinks });
    expect(keyOf(home.keyFile)).toBe(Buffer.from(pair.secretKey).toString("hex"));
    expect(statSync(home.keyFile).mode & 0o777).toBe(0o600);
    const written = readFileSync(home.keyFile, "utf8");
    expect(() => generateCourierKey(home, { link: noHardLinks })).toThrow(expect.objectContaining({ code: "COURIER_KEY_EXISTS" }));
    expect(readFileSync(home.keyFile, "utf8")).toBe(written);
    expect(temps(home.root)).toEqual([]);
  });
});

describe.skipIf(!canTrace)("courier.key where hard links are not supported, against a second keygen (strace)", () => {
  it("a key that appears after any check is not replaced: the real keygen creates the file exclusively (O_EXCL)", () => {
    // strace fails the link with EPERM (FAT) and makes every stat of courier.key answer ENOENT,
    // which is what a check sees when a second keygen places its key just after it. A check
    // followed by a rename would replace that key; an exclusive create refuses.
    const homeRoot = join(root, "race", "home");
    const home = resolveHome(homeRoot);
    createHome(home);
    writeFileSync(home.keyFile, `airlock-courier-secret:v1:${"ab".repeat(32)}\n`, { mode: 0o600 });
    const r = spawnSync(
      "strace",
      ["-f", "-qq", "-o", "/dev/null", "-P", home.keyFile, "-e", "inject=link,linkat:error=EPERM", "-e", "inject=%%stat:error=ENOENT", process.execPath, BIN, "keygen", "--home", homeRoot, "--out", join(root, "race.pub"), "--json"],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(r.status, r.stdout + r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("COURIER_KEY_EXISTS");
    expect(readFileSync(home.keyFile, "utf8")).toBe(`airlock-courier-secret:v1:${"ab".repeat(32)}\n`);
    expect(temps(home.root)).toEqual([]);
  });
});

describe("temp files an interrupted write left in the home", () => {
  const plant = (folder: string): { stale: string; fresh: string; others: string[] } => {
    const old = new Date(Date.now() - 3_600_000);
    const stale = join(folder, `${ATOMIC_TEMP_PREFIX}0123456789abcdef`);
    writeFileSync(stale, `airlock-courier-secret:v1:${"cd".repeat(32)}\n`, { mode: 0o600 });
    utimesSync(stale, old, old);
    // A write of another process under way (newer than this process): left alone.
    const fresh = join(folder, `${ATOMIC_TEMP_PREFIX}fedcba9876543210`);
    writeFileSync(fresh, "in progress");
    // Not names this code makes, or not regular files: left alone.
    const others = [".tmp-notours", ".tmp-0123456789abcdef0", "tmp-0123456789abcdef", ".tmp-0123456789ABCDEF", ".tmp-1111111111111111"].map((n) => join(folder, n));
    for (const o of others.slice(0, 4)) {
      writeFileSync(o, "x");
      utimesSync(o, old, old);
    }
    mkdirSync(others[4]!);
    utimesSync(others[4]!, old, old);
    const linked = join(folder, `${ATOMIC_TEMP_PREFIX}2222222222222222`);
    symlinkSync(join(root, "elsewhere"), linked);
    lutimesSync(linked, old, old);
    return { stale, fresh, others: [...others, linked] };
  };

  it("keygen removes the stale ones (only those this code names, older than the process) before it writes", () => {
    const home = resolveHome(join(root, "stale-keygen"));
    createHome(home);
    const { stale, fresh, others } = plant(home.root);
    generateCourierKey(home).secretKey.fill(0);
    expect(existsSync(stale)).toBe(false);
    for (const kept of [fresh, ...others]) expect(lstatSync(kept)).toBeTruthy();
  });

  it("opening the home (createHome, requireHome) removes them too", () => {
    for (const open of [createHome, requireHome]) {
      const home = resolveHome(join(root, `stale-${open.name}`));
      mkdirSync(home.root);
      const { stale, fresh, others } = plant(home.root);
      open(home);
      expect(existsSync(stale)).toBe(false);
      for (const kept of [fresh, ...others]) expect(lstatSync(kept)).toBeTruthy();
    }
  });
});

describe("courier.key once it has its name", () => {
  it("keygen succeeds when the temp name cannot be removed after the link", () => {
    const home = resolveHome(join(root, "unremovable-temp"));
    createHome(home);
    let temp = "";
    const pair = generateCourierKey(home, {
      link: (existing, path) => {
        linkSync(existing, path);
        // Make the temp name one unlink cannot remove (a folder, not empty).
        temp = existing;
        rmSync(existing);
        mkdirSync(existing);
        writeFileSync(join(existing, "x"), "x");
      },
    });
    expect(keyOf(home.keyFile)).toBe(Buffer.from(pair.secretKey).toString("hex"));
    rmSync(temp, { recursive: true });
  });

  it("keygen succeeds, with a warning, when the folder's fsync fails after the link", () => {
    const home = resolveHome(join(root, "unsynced", "home"));
    createHome(home);
    const moved = join(root, "unsynced", "moved");
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const pair = generateCourierKey(home, {
        link: (existing, path) => {
          linkSync(existing, path);
          // The folder goes away under it: the temp's removal and the folder's fsync both fail.
          renameSync(home.root, moved);
        },
      });
      expect(keyOf(join(moved, "courier.key"))).toBe(Buffer.from(pair.secretKey).toString("hex"));
      expect(stderr).toHaveBeenCalledWith(expect.stringContaining("could not be fsynced"));
    } finally {
      stderr.mockRestore();
    }
  });
});
