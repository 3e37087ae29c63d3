/** Typed errors of the vault's team and sync layer: stable codes, one-line reasons, hints. */
import { AirlockError } from "@airlock/shared";

export const VAULT_HINTS = {
  VAULT_NO_TEAM: "create a team (airlock init) or import the welcome an admin exported for you (airlock import)",
  VAULT_HAS_TEAM: "this vault already belongs to a team; use another --home for another team",
  VAULT_NOT_ALLOWED: "ask an admin for the role this needs (airlock members list shows roles)",
  VAULT_NO_KEY: "this device holds no key for that collection yet; import the latest bundles from an admin",
  VAULT_NOT_FOUND: "check the name or id (list them with the matching list command)",
  VAULT_AMBIGUOUS: "give more characters of the id, or the full name",
  VAULT_NO_IDENTITY: "add your new device from the device where you first joined (it holds your identity key)",
  VAULT_NOTHING_TO_EXPORT: "no other device is in the team yet: add a member or device first",
  VAULT_BAD_COURIER_KEY: "use the file written by `airlock-courier keygen --out FILE` on the courier",
  VAULT_BAD_ARGUMENT: "see --help for the accepted values",
  VAULT_BAD_WELCOME: "ask the admin who admitted this device to export its welcome again (airlock export --welcome NAME)",
  VAULT_NEWER_APP: "upgrade Airlock on this laptop (docs/operations.md); what others write there waits here until then, nothing is lost",
  VAULT_FILE_MISSING: "the file has not reached this laptop yet: your next export asks for it, and the next bundles from a teammate who holds it bring it",
  VAULT_FILE_QUOTA: "see and raise this collection's limits with `airlock attach quota`, or remove files you no longer need (airlock attach rm)",
  VAULT_FILE_EXISTS: "choose another --out path, or add --force to replace the file there",
  VAULT_UNSAFE_NAME: "write the name without control, direction-override or invisible characters (docs/threat-model.md, terminal output)",
} as const;
export type VaultErrorCode = keyof typeof VAULT_HINTS;

export function vaultError(code: VaultErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: VAULT_HINTS[code], cause });
}
