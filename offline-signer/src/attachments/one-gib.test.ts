/**
 * A 1 GiB attachment through a USB drop folder with the real CLI, in flat memory: `attach add`
 * on Alice's laptop, `export --usb`, `import` on Bob's (streamed: past the in-memory limit) and
 * `attach get`, each a child process whose peak RSS is compared with the same command on a
 * 1 MiB file (at most 128 MiB more, where holding the file would cost a GiB). The bytes Bob
 * writes out are the bytes Alice attached.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { passphraseBytes } from "../store/index.js";
import { Vault } from "../vault/vault.js";
import { addNote } from "../apps/notes/index.js";
import { exportBundles, importBundles } from "../vault/sync.js";
import { AIRLOCK_BIN, cliEnv, CLI_PASSPHRASE } from "../../test-support/cli.js";
import { tempRoots } from "../../test-support/vaults.js";

const root = tempRoots("airlock-1gib-");
const RSS_REPORTER = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-support", "rss-report.mjs");
const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** Runs the real CLI; returns its --json result and its peak RSS in bytes. */
function run(args: readonly string[], dir: string): { out: Record<string, unknown>; rss: number } {
  const rssFile = join(dir, `rss-${randomBytes(4).toString("hex")}`);
  const r = spawnSync(process.execPath, ["--import", RSS_REPORTER, AIRLOCK_BIN, ...args, "--json"], {
    encoding: "utf8",
    env: cliEnv({ AIRLOCK_TEST_RSS_FILE: rssFile }),
    timeout: 300_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (r.status !== 0) throw new Error(`airlock ${args.join(" ")} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return { out: JSON.parse(r.stdout) as Record<string, unknown>, rss: Number(readFileSync(rssFile, "utf8")) };
}

/** Writes `bytes` random bytes in 16 MiB pieces; returns their SHA-256. */
function randomFile(path: string, bytes: number): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "w");
  for (let left = bytes; left > 0; ) {
    const piece = randomBytes(Math.min(left, 16 * MiB));
    hash.update(piece);
    for (let at = 0; at < piece.length; ) at += writeSync(fd, piece, at);
    left -= piece.length;
  }
  closeSync(fd);
  return hash.digest("hex");
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(piece as Buffer);
  return hash.digest("hex");
}

describe("a 1 GiB attachment over a USB stick", () => {
  it("arrives byte for byte, every step in flat memory", { timeout: 600_000 }, async () => {
    const dir = root();
    const options = { kdf: "test-insecure" as const };
    const a = await Vault.create(join(dir, "a"), passphraseBytes(CLI_PASSPHRASE), options);
    a.init("Newsroom", "alice");
    const b = await Vault.create(join(dir, "b"), passphraseBytes(CLI_PASSPHRASE), options);
    a.addMember(b.joinRequest("bob").bytes, "editor");
    const note = addNote(a, "notes", { title: "Leaked archive" }).id;
    importBundles(b, exportBundles(a).map((x) => ({ bytes: x.bytes, source: "setup" })));
    a.close();
    b.close();

    const steps = (file: string, tag: string): Record<string, number> => {
      const usb = join(dir, `usb-${tag}`);
      mkdirSync(usb);
      const rss: Record<string, number> = {};
      rss["attach add"] = run(["attach", "add", note, file, "--home", join(dir, "a")], dir).rss;
      rss["export"] = run(["export", "--usb", usb, "--home", join(dir, "a")], dir).rss;
      const imported = run(["import", usb, "--home", join(dir, "b")], dir);
      expect((imported.out["report"] as { files: { received: number } }).files.received).toBe(1);
      rss["import"] = imported.rss;
      rss["attach get"] = run(["attach", "get", note, `${tag}.bin`, "--out", join(dir, `got-${tag}.bin`), "--home", join(dir, "b")], dir).rss;
      rmSync(usb, { recursive: true });
      return rss;
    };

    const smallHash = randomFile(join(dir, "small.bin"), MiB);
    const small = steps(join(dir, "small.bin"), "small");
    expect(await sha256Of(join(dir, "got-small.bin"))).toBe(smallHash);

    const bigHash = randomFile(join(dir, "big.bin"), GiB);
    const big = steps(join(dir, "big.bin"), "big");
    rmSync(join(dir, "big.bin"));
    expect(await sha256Of(join(dir, "got-big.bin"))).toBe(bigHash);
    // Flat: 1,024 times the bytes may cost at most 128 MiB more memory than the 1 MiB run. Holding
    // the file would cost over 1,024 MiB; what remains is node:crypto's fresh buffer per 64 KiB
    // chunk, which V8 frees in batches of tens of MiB (docs/benchmarks.md, file to file).
    for (const step of Object.keys(big)) expect(big[step]! - small[step]!, `${step}: ${Math.round(big[step]! / MiB)} MiB vs ${Math.round(small[step]! / MiB)} MiB`).toBeLessThan(128 * MiB);
  });
});
