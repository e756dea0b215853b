/**
 * The slice of a better-sqlite3 `Database` the trust repositories use. Typed structurally so this
 * folder never imports the driver (STYLE.md: the database driver has one owner folder); the handle
 * itself comes from the server's database repository through the `TRUST_DATABASE` token.
 */
export interface SqlStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqlDatabase {
  prepare(sql: string): SqlStatement;
  exec(sql: string): unknown;
}

export const TRUST_DATABASE = Symbol('TRUST_DATABASE');
