/**
 * `airlock --home X notes list`: people (and scripts written for git or docker) put global flags
 * before the command, where oclif would take `--home` for the command's name. The leading global
 * flags are moved after the command's words, where every command reads them.
 */
export interface GlobalFlags {
  /** Global flags that take a value (`--home X` or `--home=X`). */
  readonly valued: readonly string[];
  /** Global flags without a value (`--json`). */
  readonly booleans: readonly string[];
}

/**
 * `argv` with its leading global flags moved after the command words that follow them. Unchanged
 * when it does not start with a global flag, when a flag other than these comes first, when no
 * command word follows, or when a value is missing.
 */
export function hoistLeadingFlags(argv: readonly string[], globals: GlobalFlags): string[] {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith("--")) {
    const arg = argv[i]!;
    const name = arg.slice(2).split("=")[0]!;
    if (globals.booleans.includes(name) && !arg.includes("=")) {
      leading.push(arg);
      i++;
    } else if (globals.valued.includes(name)) {
      if (arg.includes("=")) {
        leading.push(arg);
        i++;
      } else {
        const value = argv[i + 1];
        if (value === undefined) return [...argv];
        leading.push(arg, value);
        i += 2;
      }
    } else return [...argv];
  }
  if (leading.length === 0 || i >= argv.length || argv[i]!.startsWith("-")) return [...argv];
  let end = i;
  while (end < argv.length && !argv[end]!.startsWith("-")) end++;
  return [...argv.slice(i, end), ...leading, ...argv.slice(end)];
}
