/**
 * The CLI topics every app adds, gathered from the apps' own command modules so the command
 * table follows the registry: an app that is not registered has no commands.
 */
import type { Command } from "@oclif/core";
import { APPS } from "./registry.js";
import { NOTES_COMMANDS } from "./notes/commands.js";
import { SECRETS_COMMANDS } from "./secrets/commands.js";
import { CONTACTS_COMMANDS } from "./contacts/commands.js";
import { TICKETS_COMMANDS } from "./tickets/commands.js";
import { DOCS_COMMANDS } from "./docs/commands.js";
import { EVENTS_COMMANDS } from "./events/commands.js";

const BY_APP: Readonly<Record<string, Readonly<Record<string, Command.Class>>>> = {
  notes: NOTES_COMMANDS,
  secrets: SECRETS_COMMANDS,
  contacts: CONTACTS_COMMANDS,
  tickets: TICKETS_COMMANDS,
  docs: DOCS_COMMANDS,
  events: EVENTS_COMMANDS,
};

export const APP_COMMANDS: Readonly<Record<string, Command.Class>> = Object.assign({}, ...APPS.map((a) => BY_APP[a.schema.app] ?? {})) as Record<string, Command.Class>;
