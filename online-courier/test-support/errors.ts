/** What a mailbox call's promise settled as, for tests that compare refusal codes. */
import { isAirlockError } from "@airlock/shared";

/** The AirlockError code the promise rejected with (or the error as text), undefined when it resolved. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (e) {
    return isAirlockError(e) ? e.code : String(e);
  }
}
