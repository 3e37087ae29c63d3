/**
 * Every app this release knows. The CLI's command table and the TUI's navigation are built from
 * this list, and a collection whose app is not here (or a batch of a newer schema version) keeps
 * its changesets waiting until an upgrade knows it (docs/apps.md, "Versions").
 */
import type { AppModule } from "./app.js";
import { notesApp } from "./notes/index.js";
import { secretsApp } from "./secrets/index.js";
import { contactsApp } from "./contacts/index.js";
import { ticketsApp } from "./tickets/index.js";
import { docsApp } from "./docs/index.js";
import { eventsApp } from "./events/index.js";
import { withAttachments } from "./attachments/field.js";

/** Every app's records may carry files (apps/attachments). */
export const APPS: readonly AppModule[] = [notesApp, secretsApp, contactsApp, ticketsApp, docsApp, eventsApp].map(withAttachments);

const BY_NAME = new Map(APPS.map((a) => [a.schema.app, a]));

export function appNamed(name: string, apps: readonly AppModule[] = APPS): AppModule | undefined {
  return apps === APPS ? BY_NAME.get(name) : apps.find((a) => a.schema.app === name);
}

/**
 * What this release can read, as one string: stored in the vault, so that after an upgrade the
 * changesets that waited for a newer release are looked at again.
 */
export function appsFingerprint(apps: readonly AppModule[] = APPS): string {
  return apps.map((a) => `${a.schema.app}@${a.schema.version}`).sort().join(",");
}
