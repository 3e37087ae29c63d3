/**
 * kill -9 in the middle of (or just after) a big transaction: the reopened vault holds exactly
 * the last committed round, never a mix. The child (crash-child.mjs) imports the built dist,
 * so this test first rebuilds offline-signer if any store source is newer than its output.
 */
import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { isAirlockError } from "@airlock/shared";
import { passphraseBytes } from "./params.js";
import { DB_FILE, PARAMS_FILE, VaultStore } from "./vault-store.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const distDir = join(root, "offline-signer", "dist", "src", "store");
const CHILD = join(here, "crash-child.mjs");
const TEST = { kdf: "test-insecure" } as const;
const ROUNDS = 3;
const ROWS = 1500;

beforeAll(() => {
  const stale = readdirSync(here)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .some((f) => {
      const out = join(distDir, f.replace(/\.ts$/, ".js"));
      return !existsSync(out) || statSync(out).mtimeMs < statSync(join(here, f)).mtimeMs;
    });
  if (stale) execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b", join(root, "offline-signer")]);
});

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function hashFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of [DB_FILE, `${DB_FILE}-wal`, PARAMS_FILE]) {
    const p = join(dir, n);
    out[n] = existsSync(p) ? createHash("sha256").update(readFileSync(p)).digest("hex") : "absent";
  }
  return out;
}

/** Runs the child until it prints its line, then SIGKILLs it. */
async function runAndKill(dir: string, mode: "mid" | "after"): Promise<string> {
  const child = spawn(process.execPath, [CHILD, dir, "pw", String(ROUNDS), String(ROWS), mode], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    child.on("exit", (code) => reject(new Error(`child exited early (${code}): ${err}`)));
  });
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  return line;
}

describe("kill -9", () => {
  for (const mode of ["mid", "after"] as const) {
    it(`${mode} transaction: the vault reopens with all of one round, none of another`, async () => {
      const dir = join(mkdtempSync(join(tmpdir(), "airlock-crash-")), "vault");
      made.push(dirname(dir));
      (await VaultStore.create(dir, passphraseBytes("pw"), TEST)).close();

      expect(await runAndKill(dir, mode)).toBe(`${mode} ${ROUNDS}`);
      expect(existsSync(join(dir, `${DB_FILE}-wal`))).toBe(true);

      // A wrong passphrase on the crashed vault (WAL present) changes nothing either.
      const before = hashFiles(dir);
      const e: unknown = await VaultStore.open(dir, passphraseBytes("wrong"), TEST).catch((x: unknown) => x);
      expect(isAirlockError(e, "VAULT_WRONG_PASSPHRASE")).toBe(true);
      expect(hashFiles(dir)).toEqual(before);

      const store = await VaultStore.open(dir, passphraseBytes("pw"), TEST);
      const expected = mode === "mid" ? ROUNDS - 1 : ROUNDS;
      const counts = store.transaction((db) => ({
        total: db.prepare("SELECT count(*) AS n FROM secrets").get(),
        ofRound: db.prepare("SELECT count(*) AS n FROM secrets WHERE value = ?").get(Buffer.alloc(4096, expected)),
      }));
      expect(counts).toEqual({ total: { n: ROWS }, ofRound: { n: ROWS } });
      expect(store.getMeta("round")).toBe(String(expected));
      expect(store.transaction((db) => db.pragma("integrity_check", { simple: true }))).toBe("ok");
      store.close();
    });
  }
});
