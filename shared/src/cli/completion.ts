/**
 * Shell completion scripts made from a CLI's command table (docs/cli.md, "Completion"): command
 * words and topics, each command's flags, and the values of flags that take one of a fixed list.
 * The table is ours, but every word put into a script is checked to be a plain word
 * (command-table.ts) and every description is quoted for its shell, so no text can become code.
 *
 * All three scripts walk the typed words the same way: from the top level, each word that names a
 * child of the path so far extends the path; a flag or any other word ends the walk. After that,
 * a word starting with "-" completes the path's flags, a word after a flag with fixed values
 * completes those values, and otherwise the path's children (or, under a command, files).
 */
import { childrenOf, flagsOf, tableEntries, type CommandTable, type TableEntry, type TableFlag } from "./command-table.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** The completion script for `shell`, to be sourced (bash, zsh) or saved in fish's completions folder. */
export function completionScript(shell: Shell, table: CommandTable): string {
  const entries = tableEntries(table);
  const paths = [[] as string[], ...[...entries.values()].filter((e) => childrenOf(entries, e.words).length > 0).map((e) => [...e.words])];
  const commands = [...entries.values()].filter((e): e is TableEntry & { command: NonNullable<TableEntry["command"]> } => e.command !== undefined);
  const fn = `_${table.bin.replace(/[^A-Za-z0-9]/g, "_")}`;
  const model: Model = {
    bin: table.bin,
    fn,
    children: paths.map((p) => ({ path: p.join(":"), kids: childrenOf(entries, p).map((e) => ({ word: e.words[p.length]!, description: e.description })) })),
    flags: commands.map((c) => ({ path: c.words.join(":"), flags: flagsOf(c.command) })),
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(table.bin)) throw new TypeError("a program name for completion is a plain word");
  return shell === "bash" ? bash(model) : shell === "zsh" ? zsh(model) : fish(model);
}

interface Model {
  readonly bin: string;
  readonly fn: string;
  readonly children: readonly { path: string; kids: readonly { word: string; description: string }[] }[];
  readonly flags: readonly { path: string; flags: readonly TableFlag[] }[];
}

const valueFlags = (m: Model): { path: string; flag: TableFlag }[] => m.flags.flatMap((c) => c.flags.filter((f) => f.type === "option" && (f.options?.length ?? 0) > 0).map((flag) => ({ path: c.path, flag })));

function bash(m: Model): string {
  const caseOf = (rows: readonly { key: string; words: readonly string[] }[]): string => rows.map((r) => `    "${r.key}") echo "${r.words.join(" ")}" ;;`).join("\n");
  return `# ${m.bin} completion for bash (made by \`${m.bin} completion bash\`).
# Install: echo 'source <(${m.bin} completion bash)' >> ~/.bashrc
${m.fn}_children() {
  case "$1" in
${caseOf(m.children.map((c) => ({ key: c.path, words: c.kids.map((k) => k.word) })))}
  esac
}
${m.fn}_flags() {
  case "$1" in
${caseOf(m.flags.map((c) => ({ key: c.path, words: c.flags.map((f) => `--${f.name}`) })))}
  esac
}
${m.fn}_values() {
  case "$1 $2" in
${caseOf(valueFlags(m).map((v) => ({ key: `${v.path} --${v.flag.name}`, words: v.flag.options ?? [] })))}
  esac
}
${m.fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" path="" lost="" word i
  (( COMP_CWORD > 1 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && break
    if [[ " $(${m.fn}_children "$path") " == *" $word "* ]]; then path="\${path:+$path:}$word"; else lost=1; break; fi
  done
  local values
  values="$(${m.fn}_values "$path" "$prev")"
  if [[ -n "$values" ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
  elif [[ "$cur" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(${m.fn}_flags "$path")" -- "$cur")
  elif [[ -z "$lost" ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(${m.fn}_children "$path")" -- "$cur")
  fi
}
complete -o default -F ${m.fn} ${m.bin}
`;
}

/** A zsh _describe entry, single-quoted: `'word:description'` (a colon in the word would need escaping; words have none). */
const zshEntry = (word: string, description: string): string => `'${`${word}:${description}`.replace(/'/g, `'\\''`)}'`;

function zsh(m: Model): string {
  const caseOf = (rows: readonly { key: string; entries: readonly string[] }[]): string => rows.map((r) => `    '${r.key}') reply=(${r.entries.join(" ")}) ;;`).join("\n");
  return `#compdef ${m.bin}
# ${m.bin} completion for zsh (made by \`${m.bin} completion zsh\`).
# Install: ${m.bin} completion zsh > "\${fpath[1]}/_${m.bin}"   (or: source <(${m.bin} completion zsh) after compinit)
${m.fn}_children() {
  case $1 in
${caseOf(m.children.map((c) => ({ key: c.path, entries: c.kids.map((k) => zshEntry(k.word, k.description)) })))}
    *) reply=() ;;
  esac
}
${m.fn}_flags() {
  case $1 in
${caseOf(m.flags.map((c) => ({ key: c.path, entries: c.flags.map((f) => zshEntry(`--${f.name}`, firstLineOf(f))) })))}
    *) reply=() ;;
  esac
}
${m.fn}_values() {
  case "$1 $2" in
${caseOf(valueFlags(m).map((v) => ({ key: `${v.path} --${v.flag.name}`, entries: (v.flag.options ?? []).map((o) => `'${o}'`) })))}
    *) reply=() ;;
  esac
}
${m.fn}() {
  local path_="" lost="" word i
  local -a reply kids
  for (( i = 2; i < CURRENT; i++ )); do
    word=\${words[i]}
    [[ $word == -* ]] && break
    ${m.fn}_children "$path_"
    kids=(\${reply%%:*})
    if (( \${kids[(Ie)$word]} )); then path_=\${path_:+$path_:}$word; else lost=1; break; fi
  done
  ${m.fn}_values "$path_" "\${words[CURRENT-1]}"
  if (( \${#reply} )); then
    compadd -a reply
  elif [[ \${words[CURRENT]} == -* ]]; then
    ${m.fn}_flags "$path_"
    _describe -t flags 'flag' reply
  else
    reply=()
    [[ -z $lost ]] && ${m.fn}_children "$path_"
    if (( \${#reply} )); then _describe -t commands 'command' reply; else _files; fi
  fi
}
if [ "$funcstack[1]" = "${m.fn}" ]; then
  ${m.fn} "$@"
else
  compdef ${m.fn} ${m.bin}
fi
`;
}

/** Fish single quotes: only \\ and \\' are special. */
const fishQuote = (text: string): string => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

function fish(m: Model): string {
  const lines = [
    `# ${m.bin} completion for fish (made by \`${m.bin} completion fish\`).`,
    `# Install: ${m.bin} completion fish > ~/.config/fish/completions/${m.bin}.fish`,
    `function ${m.fn}_children`,
    "    switch $argv[1]",
    ...m.children.flatMap((c) => [`        case ${fishQuote(c.path)}`, `            printf '%s\\n' ${c.kids.map((k) => k.word).join(" ")}`]),
    "    end",
    "end",
    // Whether the words typed so far lead to the path in $argv[1] ("" for the top level); with
    // a second argument, only if no other word followed it (where its children are offered).
    `function ${m.fn}_at`,
    "    set -l path ''",
    "    set -l words (commandline -opc)",
    "    set -e words[1]",
    "    for word in $words",
    "        string match -q -- '-*' $word; and break",
    `        contains -- $word (${m.fn}_children $path); or begin; set -q argv[2]; and return 1; break; end`,
    "        if test -z \"$path\"; set path $word; else; set path \"$path:$word\"; end",
    "    end",
    "    test \"@$path\" = \"@$argv[1]\"",
    "end",
    `complete -c ${m.bin} -e`,
    ...m.children.flatMap((c) => c.kids.map((k) => `complete -c ${m.bin} -f -n ${fishQuote(`${m.fn}_at '${c.path}' end`)} -a ${k.word} -d ${fishQuote(k.description)}`)),
    ...m.flags.flatMap((c) =>
      c.flags.map((f) => {
        const takes = f.type === "option" ? ((f.options?.length ?? 0) > 0 ? ` -x -a ${fishQuote((f.options ?? []).join(" "))}` : " -r") : "";
        const short = f.char !== undefined && /^[A-Za-z]$/.test(f.char) ? ` -s ${f.char}` : "";
        return `complete -c ${m.bin} -n ${fishQuote(`${m.fn}_at '${c.path}'`)} -l ${f.name}${short}${takes} -d ${fishQuote(firstLineOf(f))}`;
      }),
    ),
  ];
  return `${lines.join("\n")}\n`;
}

const firstLineOf = (f: TableFlag): string => (f.summary ?? f.description ?? "").split("\n")[0]!.replace(/[^\x20-\x7e\u00a0-\u024f]/g, " ").slice(0, 100);
