/**
 * Where further spaces live and what their keys are called (docs/spaces.md, "Storage"). A module
 * without imports: the store (re-keying on a passphrase change), the backup format and
 * spaces.ts all need these names, and spaces.ts itself imports the vault, which the others must
 * not (an import cycle through the app registry).
 */

/** The folder, inside the vault folder, that holds one folder per further space. */
export const SPACES_DIR = "spaces";
/** A bound on the index (each space is a store to open for `airlock import`). */
export const MAX_SPACES = 32;
/** A space's id: 16 random bytes, hex; its folder's name. */
export const SPACE_ID = /^[0-9a-f]{32}$/;
/** The secret, in the first space's store, that holds a further space's page key. */
export const spaceKeyName = (id: string): string => `space.${id}.key`;
/** The secret that holds the key a space is being re-keyed to, while a passphrase change runs. */
export const pendingKeyName = (id: string): string => `space.${id}.key.next`;
