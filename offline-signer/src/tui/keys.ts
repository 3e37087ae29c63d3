/**
 * The keys of each screen, one table per screen. Handlers look a key up in their table and act
 * on the action it names (`actionOf`), and the `?` overlay and the key bar print the same
 * tables, so what the help says and what a key does cannot drift apart.
 */
import type { Key } from "ink";

/** Keys by name; anything one character long is that character as typed. */
export type KeyName = "up" | "down" | "left" | "right" | "pageup" | "pagedown" | "home" | "end" | "enter" | "escape" | "tab" | "shift-tab";

export interface KeyBinding<A extends string = string> {
  readonly action: A;
  /** Characters ("q", "/", "?") or key names; any of them does it. */
  readonly keys: readonly (KeyName | string)[];
  /** What the help shows for the keys (defaults to them joined). */
  readonly label?: string;
  readonly does: string;
}

export type KeyTable<A extends string = string> = readonly KeyBinding<A>[];

const NAMED: Readonly<Record<KeyName, (key: Key) => boolean>> = {
  up: (k) => k.upArrow,
  down: (k) => k.downArrow,
  left: (k) => k.leftArrow,
  right: (k) => k.rightArrow,
  pageup: (k) => k.pageUp,
  pagedown: (k) => k.pageDown,
  home: (k) => k.home,
  end: (k) => k.end,
  enter: (k) => k.return,
  escape: (k) => k.escape,
  tab: (k) => k.tab && !k.shift,
  "shift-tab": (k) => k.tab && k.shift,
};

const SHOWN: Readonly<Record<KeyName, string>> = {
  up: "↑",
  down: "↓",
  left: "←",
  right: "→",
  pageup: "PgUp",
  pagedown: "PgDn",
  home: "Home",
  end: "End",
  enter: "enter",
  escape: "esc",
  tab: "tab",
  "shift-tab": "shift-tab",
};

const isName = (k: string): k is KeyName => k in NAMED;

/** Whether one binding's key spec is the key pressed. */
function matches(spec: string, input: string, key: Key): boolean {
  if (isName(spec)) return NAMED[spec](key);
  // A typed character, not the same letter with ctrl or meta held (ink reports ctrl-c as "c").
  return input === spec && !key.ctrl && !key.meta;
}

/** The action the pressed key has in `table`, if any. */
export function actionOf<A extends string>(table: KeyTable<A>, input: string, key: Key): A | undefined {
  return table.find((b) => b.keys.some((k) => matches(k, input, key)))?.action;
}

export const labelOf = (b: KeyBinding): string => b.label ?? b.keys.map((k) => (isName(k) ? SHOWN[k] : k)).join(" ");

/** A table as one line: "a add · e edit · ? help". */
export const keyLine = (table: KeyTable): string => table.map((b) => `${labelOf(b)} ${b.does}`).join(" · ");

/**
 * An app screen's own keys from its help line ("a add · c comment"): the apps say which keys
 * they add in that one string, so it is read rather than restated.
 */
export function parseHelp(help: string): KeyTable {
  return help
    .split(" · ")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const space = part.indexOf(" ");
      const keys = space < 0 ? part : part.slice(0, space);
      return { action: keys, keys: keys.split("/"), does: space < 0 ? "" : part.slice(space + 1) };
    });
}

export type GlobalAction = "help" | "search" | "export" | "import" | "team" | "access" | "status" | "log" | "home" | "next" | "previous" | "space" | "quit";

/** What every browse screen shares (Main handles them). */
export const GLOBAL_KEYS: KeyTable<GlobalAction> = [
  { action: "help", keys: ["?"], does: "help" },
  { action: "search", keys: ["/"], does: "search every collection" },
  { action: "next", keys: ["tab", "right"], label: "tab →", does: "next collection" },
  { action: "previous", keys: ["shift-tab", "left"], label: "shift-tab ←", does: "previous collection" },
  { action: "export", keys: ["x"], does: "export (USB or QR)" },
  { action: "import", keys: ["i"], does: "import bundles" },
  { action: "team", keys: ["t"], does: "team: members and devices" },
  { action: "access", keys: ["p"], does: "collections & approvals" },
  { action: "status", keys: ["s"], does: "status" },
  { action: "log", keys: ["l"], does: "audit log" },
  { action: "home", keys: ["h"], does: "home: what needs attention" },
  { action: "space", keys: ["S"], does: "next space (when the vault holds several: docs/spaces.md)" },
  { action: "quit", keys: ["q"], does: "quit (the screen is wiped)" },
];

/** The few global keys the key bar always shows; `?` lists the rest. */
export const GLOBAL_BAR: KeyTable = GLOBAL_KEYS.filter((b) => b.action === "help" || b.action === "search" || b.action === "quit");

export type ListAction = "up" | "down" | "pageup" | "pagedown" | "first" | "last" | "open";

/** Moving in a list of records (RecordScreen). */
export const LIST_KEYS: KeyTable<ListAction> = [
  { action: "up", keys: ["up", "k"], does: "previous record" },
  { action: "down", keys: ["down", "j"], does: "next record" },
  { action: "pageup", keys: ["pageup"], does: "a page up" },
  { action: "pagedown", keys: ["pagedown"], does: "a page down" },
  { action: "first", keys: ["home", "g"], does: "first record" },
  { action: "last", keys: ["end", "G"], does: "last record" },
  { action: "open", keys: ["enter"], does: "read the record full width" },
];

export type ScrollAction = "up" | "down" | "pageup" | "pagedown" | "top" | "bottom";

/** Scrolling a long record or screen (ScrollView). */
export const SCROLL_KEYS: KeyTable<ScrollAction> = [
  { action: "up", keys: ["up", "k"], does: "scroll up a line" },
  { action: "down", keys: ["down", "j"], does: "scroll down a line" },
  { action: "pageup", keys: ["pageup", "b"], does: "a page up" },
  { action: "pagedown", keys: ["pagedown", " "], label: "PgDn space", does: "a page down" },
  { action: "top", keys: ["home", "g"], does: "top" },
  { action: "bottom", keys: ["end", "G"], does: "bottom" },
];

export type ReadingAction = "back";

/** Reading one record full width (RecordScreen's reading mode), besides scrolling. */
export const READING_KEYS: KeyTable<ReadingAction> = [{ action: "back", keys: ["escape", "enter"], does: "back to the list" }];

/** The status screen: scrolls (SCROLL_KEYS), and these go back to the collection. */
export const STATUS_KEYS: KeyTable<"back"> = [{ action: "back", keys: ["escape", "s", "q"], does: "back" }];

/** The audit log (Main moves its window). */
export const LOG_KEYS: KeyTable<"back" | "up" | "down"> = [
  { action: "up", keys: ["up", "k"], does: "earlier events" },
  { action: "down", keys: ["down", "j"], does: "later events" },
  { action: "back", keys: ["escape", "l", "q"], does: "back" },
];

export type HelpAction = "close";

/** The help overlay itself. */
export const HELP_KEYS: KeyTable<HelpAction> = [{ action: "close", keys: ["escape", "?", "q", "enter"], does: "close this help" }];
