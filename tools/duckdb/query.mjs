// Runs SQL statements in an in-memory DuckDB (the independent Parquet implementation Ferry's tests check against)
// and prints the last statement's rows as JSON. Usage: node query.mjs "SQL" ["SQL" ...]
import { DuckDBInstance } from '@duckdb/node-api';

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
let rows = [];
for (const sql of process.argv.slice(2)) {
  const reader = await connection.runAndReadAll(sql);
  rows = reader.getRowObjectsJson();
}
console.log(JSON.stringify(rows));
