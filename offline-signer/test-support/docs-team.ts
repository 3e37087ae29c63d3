/** The docs tests' team: Alice (owner) on a, Bob (editor) on b, a third member on c, and one document in a docs collection. */
import { createDoc } from "../src/apps/docs/ops.js";
import type { Role } from "../src/team/entry.js";
import type { Vault } from "../src/vault/vault.js";
import { newVault, team } from "./vaults.js";

export interface DocsTeamOptions {
  /** The third member's name and role on vault c. */
  readonly third: { readonly name: string; readonly role: Role };
  /** The collection's write role ("viewer": everyone may write, so only the app's checks stand in the way). */
  readonly writeRole: Role;
  readonly collection: string;
  readonly text: string;
}

/** Builds the team and writes the document on a; nothing is synced yet. */
export async function docsTeam(root: string, options: DocsTeamOptions): Promise<{ a: Vault; b: Vault; c: Vault; doc: string }> {
  const { a, b, clock } = await team(root);
  const c = await newVault(root, "c", clock);
  a.addMember(c.joinRequest(options.third.name).bytes, options.third.role);
  a.createCollection(options.collection, "Handbook", "viewer", options.writeRole, "docs");
  const { id: doc } = createDoc(a, options.collection, "Handbook", options.text);
  return { a, b, c, doc };
}
