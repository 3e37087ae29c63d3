/**
 * The command table both CLIs are described by, as help, suggestions and completion read it. The
 * fields are those of oclif 4's Config (commands with their flags, topics), so a CLI passes its
 * `this.config` as it is; shared stays free of oclif itself. Ids use ":" between words
 * (`notes:add`); people type spaces.
 */

export interface TableFlag {
  readonly name: string;
  readonly char?: string | undefined;
  readonly type: "boolean" | "option";
  readonly options?: readonly string[] | undefined;
  readonly summary?: string | undefined;
  readonly description?: string | undefined;
  readonly hidden?: boolean | undefined;
}

export interface TableCommand {
  readonly id: string;
  readonly summary?: string | undefined;
  readonly description?: string | undefined;
  readonly hidden?: boolean | undefined;
  readonly flags: Readonly<Record<string, TableFlag>>;
}

export interface TableTopic {
  readonly name: string;
  readonly description?: string | undefined;
  readonly hidden?: boolean | undefined;
}

export interface CommandTable {
  readonly bin: string;
  readonly commands: readonly TableCommand[];
  readonly topics: readonly TableTopic[];
}

/** A word a shell script may hold unquoted (command words, flag names, option values): anything else is left out. */
const PLAIN_WORD = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface TableEntry {
  /** The words that reach it, `["notes", "add"]`. */
  readonly words: readonly string[];
  readonly command?: TableCommand;
  readonly description: string;
}

/** Every visible command and topic, keyed by its id, with the words people type for it. */
export function tableEntries(table: CommandTable): Map<string, TableEntry> {
  const out = new Map<string, TableEntry>();
  const add = (id: string, command: TableCommand | undefined, description: string | undefined): void => {
    const words = id.split(":");
    if (!words.every((w) => PLAIN_WORD.test(w))) return;
    const had = out.get(id);
    out.set(id, { words, ...(command === undefined ? (had?.command === undefined ? {} : { command: had.command }) : { command }), description: firstLine(description ?? had?.description ?? "") });
  };
  for (const t of table.topics) if (t.hidden !== true) add(t.name, undefined, t.description);
  for (const c of table.commands) if (c.hidden !== true) add(c.id, c, c.summary ?? c.description);
  // A command deep in a topic the table does not name still needs its parents to be reachable.
  for (const id of [...out.keys()]) {
    const words = id.split(":");
    for (let i = 1; i < words.length; i++) {
      const parent = words.slice(0, i).join(":");
      if (!out.has(parent)) add(parent, undefined, undefined);
    }
  }
  return out;
}

/** The words that may follow `path` (`[]`: the top level), with what each is, sorted. */
export function childrenOf(entries: ReadonlyMap<string, TableEntry>, path: readonly string[]): TableEntry[] {
  return [...entries.values()]
    .filter((e) => e.words.length === path.length + 1 && path.every((w, i) => e.words[i] === w))
    .sort((a, b) => (a.words[path.length]! < b.words[path.length]! ? -1 : 1));
}

/** The flags a command takes, visible ones only, with shell-safe names and option values. */
export function flagsOf(command: TableCommand): TableFlag[] {
  return Object.values(command.flags)
    .filter((f) => f.hidden !== true && PLAIN_WORD.test(f.name))
    .map((f) => ({ ...f, options: f.options?.filter((o) => PLAIN_WORD.test(o)) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** A description's first line, without anything a terminal or shell would act on, at most 100 characters. */
export function firstLine(text: string): string {
  const line = (text.split("\n")[0] ?? "").replace(/[^\x20-\x7e\u00a0-\u024f]/g, " ").trim();
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}
