// The one dynamic WHERE builder: list queries take optional filters, and each given filter adds one
// condition with its `?` parameters. Values always travel as parameters, never inside the SQL text.

export type SqlValue = string | number;

/** A condition's SQL (with `?` placeholders) and its parameters in order; `undefined` adds nothing. */
export type Condition = readonly [sql: string, ...params: SqlValue[]] | undefined;

export interface WhereClause {
  /** " WHERE a AND b", or "" when no condition applies. */
  readonly sql: string;
  readonly params: SqlValue[];
}

export function whereClause(conditions: readonly Condition[]): WhereClause {
  const given = conditions.filter((c) => c !== undefined);
  if (given.length === 0) return { sql: '', params: [] };
  return { sql: ` WHERE ${given.map(([sql]) => sql).join(' AND ')}`, params: given.flatMap(([, ...params]) => params) };
}

/** `sql` with one `?` for `value`; left out when the filter is not given. */
export function condition(sql: string, value: SqlValue | undefined): Condition {
  return value === undefined ? undefined : [sql, value];
}

/** `column = ?`; left out when the filter is not given. */
export function equals(column: string, value: SqlValue | undefined): Condition {
  return condition(`${column} = ?`, value);
}
