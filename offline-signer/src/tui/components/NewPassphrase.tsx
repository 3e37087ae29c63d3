/**
 * Choosing a new vault passphrase: typed twice, masked, with a live strength meter. One below
 * the floor (cli/strength.ts WEAK_BELOW_GUESSES_LOG10) is used only after an explicit y, as
 * `airlock init` asks on a terminal. The typed bytes stay in Uint8Arrays that are wiped when
 * handed over or dropped; zxcvbn sees a short-lived string (see strength.ts).
 */
import { timingSafeEqual } from "node:crypto";
import { Box, useInput } from "ink";
import { useEffect, useRef, useState, type ReactElement } from "react";
import { passphraseStrength, type PassphraseStrength } from "../../cli/strength.js";
import { PassphrasePrompt } from "./PassphrasePrompt.js";
import { StrengthMeter } from "./StrengthMeter.js";
import { Text } from "./Text.js";

type Step = "first" | "weak" | "again";

export interface NewPassphraseProps {
  /** Receives the passphrase (the receiver owns and wipes it). */
  readonly onDone: (passphrase: Uint8Array) => void;
  readonly onCancel: () => void;
}

export function NewPassphrase({ onDone, onCancel }: NewPassphraseProps): ReactElement {
  const [step, setStep] = useState<Step>("first");
  const [strength, setStrength] = useState<PassphraseStrength | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const first = useRef<Uint8Array | undefined>(undefined);
  // Only the newest key's estimate is shown: an older one can finish later.
  const asked = useRef(0);

  useEffect(
    () => () => {
      first.current?.fill(0);
    },
    [],
  );

  const judge = (typed: Uint8Array): Promise<PassphraseStrength | undefined> => {
    const n = ++asked.current;
    return passphraseStrength(typed)
      .then((s) => (n === asked.current ? s : undefined))
      .finally(() => typed.fill(0));
  };

  const restart = (why: string): void => {
    first.current?.fill(0);
    first.current = undefined;
    setStrength(undefined);
    setError(why);
    setStep("first");
  };

  useInput(
    (input) => {
      if (input === "y") return setStep("again");
      restart("choose another passphrase");
    },
    { isActive: step === "weak" },
  );

  if (step === "weak") {
    return (
      <Box flexDirection="column">
        <StrengthMeter strength={strength} />
        <Text color="red">This passphrase is weak: someone with a copy of the vault folder could guess it.</Text>
        <Text color="yellow">y uses it anyway · any other key chooses another</Text>
      </Box>
    );
  }
  if (step === "again") {
    return (
      <Box flexDirection="column">
        <PassphrasePrompt
          key="again"
          prompt="The same passphrase again: "
          keys="enter confirms · esc cancels"
          onCancel={onCancel}
          onSubmit={(again) => {
            const want = first.current!;
            const same = again.length === want.length && timingSafeEqual(again, want);
            again.fill(0);
            if (!same) return restart("the two passphrases differ: type it again");
            first.current = undefined;
            onDone(want);
          }}
        />
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <PassphrasePrompt
        key="first"
        prompt="New vault passphrase: "
        keys="enter goes on · esc cancels"
        onCancel={onCancel}
        onChange={(typed) => {
          void judge(typed).then((s) => {
            if (s !== undefined) setStrength(s);
          });
        }}
        onSubmit={(typed) => {
          if (typed.length === 0) return setError("a vault needs a passphrase");
          setError(undefined);
          first.current = typed;
          void judge(typed.slice()).then((s) => {
            if (s === undefined) return;
            setStrength(s);
            setStep(s.weak ? "weak" : "again");
          });
        }}
      />
      <StrengthMeter strength={strength} />
      {error === undefined ? null : <Text color="red">{error}</Text>}
    </Box>
  );
}
