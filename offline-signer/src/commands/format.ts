/** Small text helpers shared by the commands' human output. */
import { ROLES, type Role } from "../team/entry.js";
import { vaultError } from "../vault/errors.js";

export { short, table, when } from "../cli/format.js";

export const ROLE_OPTIONS = [...ROLES] as string[];

export function asRole(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw vaultError("VAULT_BAD_ARGUMENT", `"${value}" is not a role (owner, admin, editor, viewer)`);
  return value as Role;
}
