/** The typed error a call must throw, for tests that then check its code and message. */
import { AirlockError, isAirlockError } from "@airlock/shared";

export function thrownAirlockError(f: () => unknown): AirlockError {
  try {
    f();
  } catch (e) {
    if (isAirlockError(e)) return e;
    throw e;
  }
  throw new Error("expected an AirlockError, nothing was thrown");
}
