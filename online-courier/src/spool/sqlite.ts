/** Opening the spool's SQLite file (better-sqlite3, typed by @types/better-sqlite3). */
import Database from "better-sqlite3";

export type SqliteDatabase = Database.Database;
export type Statement = Database.Statement;

/** A busy file waits up to 5 s for another process's lock rather than failing at once. */
export const openSqlite = (filename: string): SqliteDatabase => new Database(filename, { timeout: 5000 });
