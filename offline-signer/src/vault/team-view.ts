/**
 * The team as people see it: each member followed by their devices, with the fingerprints
 * people compare out loud. One list for the TUI's team screen; the commands print the same
 * facts with `members list` and `devices list`.
 */
import type { Role } from "../team/entry.js";
import { fingerprint } from "./request.js";
import type { Vault } from "./vault.js";

export type TeamRow =
  | { readonly kind: "member"; readonly userId: string; readonly name: string; readonly role: Role; readonly active: boolean; readonly me: boolean; readonly devices: number }
  | {
      readonly kind: "device";
      readonly userId: string;
      readonly name: string;
      readonly deviceId: string;
      readonly fingerprint: string;
      readonly active: boolean;
      readonly thisDevice: boolean;
    };

/** Active members first (owners, admins, editors, viewers, then by name), removed ones last. */
export function teamRows(vault: Vault): TeamRow[] {
  const state = vault.requireTeam();
  const myDevice = state.devices.get(vault.deviceId);
  const rank: Record<Role, number> = { owner: 0, admin: 1, editor: 2, viewer: 3 };
  const users = [...state.users.values()].sort(
    (a, b) => Number(b.active) - Number(a.active) || rank[a.role] - rank[b.role] || a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1),
  );
  const rows: TeamRow[] = [];
  for (const u of users) {
    const devices = [...state.devices.values()].filter((d) => d.user === u.id).sort((a, b) => Number(b.active) - Number(a.active) || (a.id < b.id ? -1 : 1));
    rows.push({ kind: "member", userId: u.id, name: u.name, role: u.role, active: u.active, me: myDevice?.user === u.id, devices: devices.filter((d) => d.active).length });
    for (const d of devices) {
      rows.push({ kind: "device", userId: u.id, name: u.name, deviceId: d.id, fingerprint: fingerprint(d.keys), active: d.active && u.active, thisDevice: d.id === vault.deviceId });
    }
  }
  return rows;
}
