/** Which collection an app command works on when the user does not say. */
import { AirlockError } from "@airlock/shared";
import { atLeast } from "../team/entry.js";
import { vaultError } from "../vault/errors.js";
import { assertAdmitted } from "../vault/backup-status.js";
import type { Vault } from "../vault/vault.js";
import type { AppModule } from "./app.js";

/**
 * `--collection` if given (it must be of this app), else the only collection of this app the
 * device reads. Errors say what exists, so the next command can be typed right away.
 */
/**
 * Refuses a collection that does not exist, holds another app's records (a login is not a note) or
 * that this device cannot read, each with the real cause and the ids it could use instead.
 */
export function requireAppCollection(vault: Vault, app: AppModule, id: string): string {
  const state = vault.requireTeam();
  const c = state.collections.get(id);
  const readable = vault.readableCollections(app.schema.app);
  const instead = readable.length === 0 ? `this device reads no ${app.schema.app} collection yet` : `${app.schema.app} collections this device reads: ${readable.join(", ")}`;
  if (c === undefined) {
    // Ids are exact; a name or a different case is the likeliest slip (`--collection Notes` for "notes").
    const meant = [...state.collections.values()].find((k) => k.id.toLowerCase() === id.toLowerCase() || k.name.toLowerCase() === id.toLowerCase());
    const hint = meant === undefined ? `${instead} (airlock collections list shows every collection)` : `--collection takes the id: did you mean "${meant.id}"? (${instead})`;
    throw new AirlockError("VAULT_NOT_FOUND", `no collection "${id}"`, { hint });
  }
  if (c.app !== app.schema.app) throw new AirlockError("VAULT_BAD_ARGUMENT", `collection "${id}" holds ${c.app}, not ${app.schema.app}`, { hint: instead });
  // What a device may no longer read stays on its disk, but is not shown, as search does not show it.
  if (!readable.includes(id)) {
    assertAdmitted(vault); // a restored vault the team refused says why (vault/backup-status.ts)
    const me = state.devices.get(vault.deviceId);
    const user = me === undefined ? undefined : state.users.get(me.user);
    let cause = "this device is no longer in the team";
    let fix = "";
    if (user?.active === true && me?.active === true && !atLeast(user.role, c.read)) {
      cause = `it is read by ${c.read} and up, and you are ${/^[aeiou]/.test(user.role) ? "an" : "a"} ${user.role}`;
      fix = `; an admin can change who reads it (airlock collections policy ${id})`;
    } else if (user?.active === true && me?.active === true) {
      cause = "this device holds no key for it yet";
      fix = "; import the latest bundles from an admin";
    }
    throw new AirlockError("VAULT_NOT_ALLOWED", `this device may not read "${id}": ${cause}`, { hint: `${instead}${fix}` });
  }
  return id;
}

export function chooseCollection(vault: Vault, app: AppModule, flag: string | undefined): string {
  vault.requireTeam();
  const name = app.schema.app;
  if (flag !== undefined) return requireAppCollection(vault, app, flag);
  const mine = vault.readableCollections(name);
  if (mine.length === 1) return mine[0]!;
  if (mine.length === 0) {
    throw vaultError("VAULT_NOT_FOUND", `no ${name} collection this device reads; an admin creates one with: airlock collections add ${name === "secrets" ? "passwords" : name} --type ${name}`);
  }
  throw vaultError("VAULT_AMBIGUOUS", `several ${name} collections: ${mine.join(", ")}; name one with --collection`);
}

/** Where a first record of an app goes when the team has no collection of that app yet. */
const FIRST_COLLECTION: Readonly<Record<string, { id: string; name: string; read: "viewer" | "editor"; write: "editor" }>> = {
  secrets: { id: "passwords", name: "Passwords", read: "editor", write: "editor" },
  contacts: { id: "contacts", name: "Contacts", read: "viewer", write: "editor" },
  notes: { id: "notes", name: "Notes", read: "viewer", write: "editor" },
  tickets: { id: "tickets", name: "Tickets", read: "viewer", write: "editor" },
  events: { id: "calendar", name: "Calendar", read: "viewer", write: "editor" },
  docs: { id: "documents", name: "Documents", read: "viewer", write: "editor" },
};

/**
 * As chooseCollection, for commands that add records: when the team has no collection of this
 * app at all and this device is an admin's, it creates the usual one first (passwords: editors
 * and up read and write; contacts: everyone reads, editors write) and says so through `created`,
 * so `secrets add` works on a new team without a setup step.
 */
export function chooseOrCreateCollection(vault: Vault, app: AppModule, flag: string | undefined, created: (id: string, read: string, write: string) => void): string {
  const state = vault.requireTeam();
  const name = app.schema.app;
  const first = FIRST_COLLECTION[name];
  const any = [...state.collections.values()].some((c) => c.app === name);
  if (flag !== undefined || any || first === undefined || state.collections.has(first.id)) return chooseCollection(vault, app, flag);
  const me = state.devices.get(vault.deviceId);
  const role = me === undefined ? undefined : state.users.get(me.user)?.role;
  if (role !== "admin" && role !== "owner") return chooseCollection(vault, app, flag);
  vault.createCollection(first.id, first.name, first.read, first.write, name);
  created(first.id, first.read, first.write);
  return first.id;
}
