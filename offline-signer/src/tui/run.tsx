/** Starts the TUI on the real terminal and resolves when it quits. */
import { render } from "ink";
import { givenPassphrase } from "../cli/passphrase.js";
import { requestedKdf, resolveHome } from "../cli/home.js";
import { App } from "./App.js";

export interface TuiOptions {
  readonly home?: string | undefined;
  readonly passphraseFile?: string | undefined;
}

export async function runTui(options: TuiOptions): Promise<void> {
  const passphrase = givenPassphrase(options.passphraseFile);
  const instance = render(<App home={resolveHome(options.home)} kdf={requestedKdf()} passphrase={passphrase} />, { exitOnCtrlC: true });
  try {
    await instance.waitUntilExit();
  } finally {
    passphrase?.fill(0);
  }
}
