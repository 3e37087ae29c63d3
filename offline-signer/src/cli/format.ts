/** Small text helpers for people reading ids, times and columns: shared by the commands and the TUI. */
import { escapeLine } from "@airlock/shared";
import { ROLES, type Role } from "../team/entry.js";
import { vaultError } from "../vault/errors.js";
import type { PeerSync } from "../vault/report.js";

export const short = (id: string): string => id.slice(0, 12);

export function when(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** Aligned columns. Cells are names, titles and reasons others wrote: each is escaped to one line first, so it can neither break the layout nor reach the terminal raw. */
export function table(cells: readonly (readonly string[])[]): string {
  if (cells.length === 0) return "";
  const rows = cells.map((r) => r.map(escapeLine));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}`.trimEnd()).join("\n") + "\n";
}

/** A role typed by a person (any case, spaces around it), or VAULT_BAD_ARGUMENT naming the four. */
export function asRole(value: string): Role {
  const role = value.trim().toLowerCase();
  if (!(ROLES as readonly string[]).includes(role)) throw vaultError("VAULT_BAD_ARGUMENT", `"${value.slice(0, 40)}" is not a role (owner, admin, editor, viewer)`);
  return role as Role;
}

/** "up to date", or what an export would still carry to that device, and when it was last heard from. */
export function peerLine(p: PeerSync): string {
  const { changesets, entries } = p.unacknowledged;
  const state = changesets === 0 && entries === 0 ? "up to date" : `not yet acknowledged: ${changesets} change(s), ${entries} team entr${entries === 1 ? "y" : "ies"}`;
  return `${state}; ${p.lastHeard === undefined ? "never heard from" : `last heard ${when(p.lastHeard)}`}`;
}
