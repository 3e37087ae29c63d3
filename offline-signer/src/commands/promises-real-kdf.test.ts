/**
 * Every other test creates vaults with the test-only KDF switch, so nothing else would notice if
 * `airlock init` stopped using the real one (docs/testing.md, promise P4). One run of the real
 * CLI as a child process, without AIRLOCK_INSECURE_TEST_KDF: vault.json must record Argon2id at
 * the cost docs/vault-store.md names (64 MiB, 2 passes, 1 lane) with a fresh 16-byte salt, and
 * neither the file nor the output may carry the insecure warning. The real KDF runs once here
 * (about a second).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AIRLOCK_BIN, CLI_PASSPHRASE } from "../../test-support/cli.js";
import { ARGON2ID_PARAMS, INSECURE_WARNING, PARAMS_FILE } from "../store/index.js";

let home: string | undefined;
afterEach(() => {
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
  home = undefined;
});

describe("airlock init without the test switch", () => {
  it("records Argon2id with the real parameters in vault.json", () => {
    home = mkdtempSync(join(tmpdir(), "airlock-real-kdf-"));
    const env: NodeJS.ProcessEnv = { ...process.env, AIRLOCK_PASSPHRASE: CLI_PASSPHRASE };
    delete env["AIRLOCK_INSECURE_TEST_KDF"];
    const r = spawnSync(process.execPath, [AIRLOCK_BIN, "init", "--team", "Field office", "--name", "alice", "--home", home, "--json"], { encoding: "utf8", env, timeout: 120_000, stdio: ["ignore", "pipe", "pipe"] });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/AIRLOCK_INSECURE_TEST_KDF|INSECURE|test-only/);
    expect(r.stdout).not.toMatch(/INSECURE|test-only/);

    const text = readFileSync(join(home, PARAMS_FILE), "utf8");
    const params = JSON.parse(text) as { warning?: string; cipher: string; current: { kdf: string; m: number; t: number; p: number; salt: string }; pending?: unknown };
    expect(params.current.kdf).toBe("argon2id");
    // The documented cost, literally: a lowered constant must fail here too.
    expect({ m: params.current.m, t: params.current.t, p: params.current.p }).toEqual({ m: 65_536, t: 2, p: 1 });
    expect({ m: params.current.m, t: params.current.t, p: params.current.p }).toEqual(ARGON2ID_PARAMS);
    expect(params.current.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(params.current.salt).not.toMatch(/^0+$/);
    expect(params.pending).toBeUndefined();
    expect(params.warning).toBeUndefined();
    expect(text).not.toContain("test-insecure");
    expect(text).not.toContain(INSECURE_WARNING);
  });
});
