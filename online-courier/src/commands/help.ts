/** `airlock-courier help [COMMAND]`: oclif's help for a command, and a USAGE error with the nearest ones for a name that is none. */
import { Args, Help } from "@oclif/core";
import { resolveWords } from "@airlock/shared";
import { CourierCommand } from "./base.js";

export default class HelpCommand extends CourierCommand {
  static override summary = "Show how a command is used (airlock-courier help sync).";
  static override examples = ["<%= config.bin %> help", "<%= config.bin %> help ingest"];
  static override strict = false;
  static override args = { command: Args.string({ description: "the command, as typed" }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand);
    const words = (argv as string[]).filter((w) => !w.startsWith("-"));
    const found = resolveWords(this.config, words);
    if (found.kind === "unknown") throw found.error;
    await new Help(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp(found.id === "" ? [] : [found.id]);
  }
}
