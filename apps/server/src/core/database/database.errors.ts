/** Base class of the database port's errors; the adapters translate driver errors into these. */
export class DatabaseError extends Error {
  override name = 'DatabaseError';
  /** True when trying again later may succeed (the server is down, restarting or overloaded). */
  readonly transient: boolean = false;
}

/** The database cannot be reached or went away (Postgres stopped, connection refused or timed out). */
export class DatabaseUnavailableError extends DatabaseError {
  override name = 'DatabaseUnavailableError';
  override readonly transient = true;
}

/** A UNIQUE or PRIMARY KEY constraint refused a row. The message names the constraint, never the values. */
export class DatabaseUniqueViolationError extends DatabaseError {
  override name = 'DatabaseUniqueViolationError';
}

/** DATABASE_URL or the secret key setup is not usable; thrown at boot. */
export class DatabaseConfigError extends DatabaseError {
  override name = 'DatabaseConfigError';
}
