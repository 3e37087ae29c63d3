/**
 * The lists pickers choose from, read from the vault's own definitions: the roles the team model
 * knows (team/entry.ts ROLES, lowest first) and the active members.
 */
import { ROLES } from "../team/entry.js";
import type { Vault } from "../vault/vault.js";
import type { Choice } from "./components/Picker.js";

const ROLE_HINTS: Readonly<Record<(typeof ROLES)[number], string>> = {
  viewer: "reads",
  editor: "reads and writes",
  admin: "also admits and removes members, sets who reads what",
  owner: "also makes admins and owners",
};

export const ROLE_CHOICES: readonly Choice[] = ROLES.map((r) => ({ value: r, hint: ROLE_HINTS[r] }));

/** Active members, shown by name and chosen by id (two members may share a name); `none` adds a first choice with an empty value ("nobody"). */
export function memberChoices(vault: Vault, none?: string): Choice[] {
  const members = [...vault.requireTeam().users.values()]
    .filter((u) => u.active)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((u) => ({ value: u.id, label: u.name, hint: u.role }));
  return none === undefined ? members : [{ value: "", label: none }, ...members];
}
