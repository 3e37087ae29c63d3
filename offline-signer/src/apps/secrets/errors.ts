/** Typed errors of the password-vault library: stable codes, one-line reasons, hints. */
import { AirlockError } from "@airlock/shared";

export const SECRETS_HINTS = {
  SECRETS_BAD_ITEM:
    "shorten or fix the named field (limits: docs/apps-secrets-formats.md); control characters and broken Unicode are refused",
  SECRETS_IMPORT_MALFORMED:
    "fix or remove the named entry in the export file, or export it again from the source app; nothing was imported",
  SECRETS_IMPORT_UNSUPPORTED:
    "export again as an unencrypted file in one of the supported formats (docs/apps-secrets-formats.md)",
  SECRETS_IMPORT_PASSWORD: "check the database password (and that no key file is needed); nothing was imported",
  SECRETS_BAD_TOTP:
    "give an otpauth://totp/... URI or the base32 secret the site showed (SHA1/SHA256/SHA512, 6-8 digits, period 1-300 s, at least 80-bit secret); Steam and HOTP codes are not supported",
} as const;
export type SecretsErrorCode = keyof typeof SECRETS_HINTS;

export function secretsError(code: SecretsErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { hint: SECRETS_HINTS[code], cause });
}
