// Reads lrbs's results with two readers lrbs did not write, as a user of them would: polars
// (nodejs-polars) and DuckDB (@duckdb/node-api), each with its plain documented call on a glob of
// a table's parts (no union of differing schemas, no options), selecting every column by name.
//
//   node tests/readers/read-results.mjs TARGET...
//
// A TARGET is a results folder (a sub-folder per table: trials/*.parquet, ...), an export (a
// folder of TABLE.parquet files) or one Parquet file. Prints one JSON line per (target, table,
// reader): {target, table, reader, rows, columns: {name: type}} or {..., error}.
import fs from 'node:fs';
import path from 'node:path';
import pl from 'nodejs-polars';
import { DuckDBInstance } from '@duckdb/node-api';

/** The tables of a target: [name, glob or file]. */
function tablesOf(target) {
  if (fs.statSync(target).isFile()) return [[path.basename(target, '.parquet'), target]];
  const entries = fs.readdirSync(target, { withFileTypes: true });
  const files = entries.filter(e => e.isFile() && e.name.endsWith('.parquet'));
  if (files.length > 0) return files.map(e => [path.basename(e.name, '.parquet'), path.join(target, e.name)]);
  return entries
    // report/ holds what `lrbs report` derives (critical_batch.parquet): read as a file of its own, not a table's parts
    .filter(e => e.isDirectory() && e.name !== 'report' && fs.readdirSync(path.join(target, e.name)).some(f => f.endsWith('.parquet') && !f.startsWith('.')))
    .map(e => [e.name, path.join(target, e.name, '*.parquet')]);
}

async function withPolars(source) {
  const all = await pl.scanParquet(source).collect();
  const df = all.select(...all.columns.map(c => pl.col(c)));
  const columns = Object.fromEntries(df.getColumns().map(s => [s.name, String(s.dtype).replace(/^DataType\((.*)\)$/, '$1')]));
  // df.height would be a column named height (the box tables have one): count a column's values
  const first = df.getColumns()[0];
  return { rows: first ? first.len() : 0, columns };
}

async function withDuckDb(connection, source) {
  const from = `read_parquet('${source.replaceAll("'", "''")}')`;
  const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjects();
  const names = described.map(r => r.column_name);
  const rows = (await connection.runAndReadAll(`SELECT ${names.map(n => `"${n}"`).join(', ')} FROM ${from}`)).getRows();
  return { rows: rows.length, columns: Object.fromEntries(described.map(r => [r.column_name, r.column_type])) };
}

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
for (const target of process.argv.slice(2)) {
  for (const [table, source] of tablesOf(target)) {
    for (const [reader, read] of [['polars', () => withPolars(source)], ['duckdb', () => withDuckDb(connection, source)]]) {
      try {
        console.log(JSON.stringify({ target, table, reader, ...(await read()) }));
      } catch (e) {
        console.log(JSON.stringify({ target, table, reader, error: String(e.message ?? e).split('\n')[0] }));
      }
    }
  }
}
