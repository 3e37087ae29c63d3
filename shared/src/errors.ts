/**
 * Typed errors for everything outside the bundle codec (files, USB sticks, QR images,
 * cameras, processes). Like BundleError: a stable `code` scripts can match, a message that
 * names what was wrong, and a `hint` with the likely fix for a non-expert.
 * Codes are SCREAMING_SNAKE_CASE, prefixed by area (USB_, QR_, FRAME_, IMAGE_, VIDEO_, ...).
 */
export class AirlockError extends Error {
  override readonly name = "AirlockError";
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options?.hint;
  }
}

export function isAirlockError(e: unknown, code?: string): e is AirlockError {
  return e instanceof AirlockError && (code === undefined || e.code === code);
}

/**
 * The errno code of a Node system error ("ENOENT", "ELOOP", ...), or undefined for anything
 * else, including our own typed errors, whose codes never start with "E".
 */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("E") ? code : undefined;
}
