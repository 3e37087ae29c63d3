/**
 * Where the vault lives and how it is unlocked, shared by the commands and the TUI: --home (else
 * AIRLOCK_HOME, else ~/.airlock), the "no vault here" error, and the test-only KDF switch.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { AirlockError } from "@airlock/shared";
import { PARAMS_FILE } from "../store/index.js";

export const INSECURE_KDF_ENV = "AIRLOCK_INSECURE_TEST_KDF";

export function resolveHome(flag: string | undefined): string {
  return resolve(flag ?? process.env["AIRLOCK_HOME"] ?? join(homedir(), ".airlock"));
}

export function vaultExists(home: string): boolean {
  return existsSync(join(home, PARAMS_FILE));
}

export function noVaultError(home: string): AirlockError {
  return new AirlockError("VAULT_NOT_FOUND", `no vault at ${home}`, {
    hint: "create one with `airlock init` or `airlock join`, or point --home / AIRLOCK_HOME at it",
  });
}

/** "test-insecure" when AIRLOCK_INSECURE_TEST_KDF=1; callers must say so loudly wherever they show output. */
export function requestedKdf(): "test-insecure" | undefined {
  return process.env[INSECURE_KDF_ENV] === "1" ? "test-insecure" : undefined;
}
