/** `airlock help [COMMAND...]`: oclif's help for a topic or command, and a USAGE error with the nearest ones for a name that is neither. */
import { Args, Help } from "@oclif/core";
import { resolveWords } from "@airlock/shared";
import { VaultCommand } from "./base.js";

export class HelpCommand extends VaultCommand {
  static override summary = "Show how a command or topic is used (airlock help notes add).";
  static override examples = ["<%= config.bin %> help", "<%= config.bin %> help notes", "<%= config.bin %> help members add"];
  static override strict = false;
  static override args = { command: Args.string({ description: "the command or topic, as typed (several words)" }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand);
    const words = (argv as string[]).filter((w) => !w.startsWith("-"));
    const found = resolveWords(this.config, words);
    if (found.kind === "unknown") throw found.error;
    await new Help(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp(found.id === "" ? [] : [found.id]);
  }
}
