import { Args, Flags } from "@oclif/core";
import { safe } from "@airlock/shared";
import { APPS, appNamed } from "../apps/registry.js";
import { VaultCommand } from "./base.js";
import { table, when } from "./format.js";

export class Search extends VaultCommand {
  static override summary = "Search every record you may read, across every app: notes, secrets, contacts, tickets, events and documents (never passwords or TOTP secrets).";
  static override description = "Every word must appear (as a word or the start of one); case and accents are ignored. Collections you may not read are never searched.";
  static override examples = ["<%= config.bin %> search safe house", "<%= config.bin %> search --type contacts ali", "<%= config.bin %> search bank --json"];
  static override args = { query: Args.string({ description: "words to look for", required: true }) };
  static override strict = false;
  static override flags = {
    type: Flags.string({ description: "only this type of collection", options: APPS.map((a) => a.schema.app) }),
    limit: Flags.integer({ description: "most results", default: 50, min: 1, max: 1000 }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Search);
    const query = (argv as string[]).join(" ");
    await this.withVault(flags, async (vault) => {
      vault.requireTeam();
      const hits = vault.search(query, { limit: flags.limit, ...(flags.type === undefined ? {} : { app: flags.type }) });
      const state = vault.requireTeam();
      const results = hits.map((h) => {
        const type = state.collections.get(h.collection)?.app ?? "";
        return { collection: h.collection, type, id: h.id, summary: appNamed(type)?.summary(h.view) ?? "", updated: h.view.updated };
      });
      const text = results.length === 0 ? safe`nothing matches ${query}` + "\n" : table(results.map((r) => [r.collection, r.id, when(r.updated), r.summary]));
      this.emit(flags.json, { query, results }, text);
    });
  }
}
