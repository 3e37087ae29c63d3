/** `airlock-courier completion bash|zsh|fish`: a completion script made from the command table (docs/cli.md, "Completion"). */
import { Args } from "@oclif/core";
import { completionScript, SHELLS, type Shell } from "@airlock/shared";
import { CourierCommand } from "./base.js";

export default class Completion extends CourierCommand {
  static override summary = "Print a shell completion script for bash, zsh or fish.";
  static override description = "Completes commands, flags and the values of flags that take one of a fixed list. See docs/cli.md for where each shell keeps it.";
  static override examples = [
    "echo 'source <(<%= config.bin %> completion bash)' >> ~/.bashrc",
    '<%= config.bin %> completion zsh > "${fpath[1]}/_<%= config.bin %>"',
    "<%= config.bin %> completion fish > ~/.config/fish/completions/<%= config.bin %>.fish",
  ];
  static override args = { shell: Args.string({ description: "the shell", options: [...SHELLS], required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    process.stdout.write(completionScript(args.shell as Shell, this.config));
  }
}
