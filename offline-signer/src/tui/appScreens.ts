/**
 * The TUI screen of each app in the registry (apps/registry.ts), by the app's name. A test
 * checks every registered app has one; a collection whose app is missing here is listed but
 * shown as not yet known.
 */
import type { ReactElement } from "react";
import { ContactsView } from "./screens/ContactsView.js";
import { DocsView } from "./screens/DocsView.js";
import { EventsView } from "./screens/EventsView.js";
import { NotesView } from "./screens/NotesView.js";
import type { AppScreenProps } from "./screens/RecordScreen.js";
import { SecretsView } from "./screens/SecretsView.js";
import { TicketsView } from "./screens/TicketsView.js";

export type AppScreen = (props: AppScreenProps & { readonly now?: (() => number) | undefined }) => ReactElement;

export const SCREENS: Readonly<Record<string, AppScreen>> = {
  notes: NotesView,
  secrets: SecretsView,
  contacts: ContactsView,
  tickets: TicketsView,
  docs: DocsView,
  events: EventsView,
};
