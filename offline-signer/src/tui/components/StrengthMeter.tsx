/** A new passphrase's strength as the CLI shows it (cli/strength.ts): a meter, a verdict, zxcvbn's suggestions. */
import { Box } from "ink";
import type { ReactElement } from "react";
import { strengthMeter, type PassphraseStrength } from "../../cli/strength.js";
import { Text } from "./Text.js";

export function StrengthMeter({ strength }: { readonly strength: PassphraseStrength | undefined }): ReactElement {
  if (strength === undefined) return <Text dimColor>strength: type to see it</Text>;
  const color = strength.weak ? "red" : strength.score >= 3 ? "green" : "yellow";
  return (
    <Box flexDirection="column">
      <Text color={color}>{`strength: ${strengthMeter(strength)}`}</Text>
      {strength.suggestions.slice(0, 2).map((s) => (
        <Text key={s} dimColor wrap="truncate-end">{`  ${s}`}</Text>
      ))}
    </Box>
  );
}
