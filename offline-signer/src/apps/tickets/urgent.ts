/** Reading tickets across the collections this device reads: names for user ids, and the urgent ones. */
import type { Vault } from "../../vault/vault.js";
import { sortTickets, ticketOf, isUrgent, type Ticket } from "./ticket.js";

/** A member's name for a user id; "(removed)" beside one no longer in the team; a short id if unknown. */
export function nameOf(vault: Vault, user: string | undefined): string {
  if (user === undefined) return "";
  const u = vault.requireTeam().users.get(user);
  if (u === undefined) return user.slice(0, 12);
  return u.active ? u.name : `${u.name} (removed)`;
}

/** A history line with the user ids it names shown as names. */
export function historyText(vault: Vault, what: string): string {
  const m = /^assignee: ([0-9a-f]{2,128})$/.exec(what);
  return m === null ? what : `assignee: ${nameOf(vault, m[1])}`;
}

export interface UrgentTicket {
  readonly collection: string;
  readonly id: string;
  readonly title: string;
  readonly status: Ticket["status"];
  readonly assignee: string;
  readonly due: string | undefined;
}

/** Urgent tickets not done, in every tickets collection this device reads: what `airlock status` shows first. */
export function urgentTickets(vault: Vault): UrgentTicket[] {
  if (vault.teamId === undefined) return [];
  const out: UrgentTicket[] = [];
  for (const c of vault.readableCollections("tickets")) {
    for (const t of sortTickets(vault.records(c).map(ticketOf)).filter(isUrgent)) {
      out.push({ collection: c, id: t.id, title: t.title, status: t.status, assignee: nameOf(vault, t.assignee), due: t.due });
    }
  }
  return out;
}
