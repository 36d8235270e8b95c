/** A read-only DuckDB query run by a workspace's own Python (host venv or environment image). */
const QUERY_SCRIPT = "import duckdb, json, sys\nc = duckdb.connect(sys.argv[1], read_only=True)\nprint(json.dumps(c.sql(sys.argv[2]).fetchall(), default=str))";

/** Arguments for `python`: prints the rows of `sql` against the DuckDB file `database` as one JSON array. */
export function duckdbQueryArgs(database: string, sql: string): string[] {
  return ["-c", QUERY_SCRIPT, database, sql];
}
