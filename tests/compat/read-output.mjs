// Opens a DuckEmbed output read-only with the DuckDB release installed beside this script (@duckdb/node-api) and
// prints, as one JSON line, what a user of that release would check: the vector column's type, every row, and
// array_cosine_similarity over the vectors.
//   node read-output.mjs FILE TABLE COLUMN
import { DuckDBInstance } from '@duckdb/node-api';

const [file, table, column] = process.argv.slice(2);
const literal = (s) => `'${s.replaceAll("'", "''")}'`;
const name = (s) => `"${s.replaceAll('"', '""')}"`;
const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
const connection = await instance.connect();
const one = async (sql) => (await (await connection.run(sql)).getRows())[0];
const [version] = await one('SELECT version()');
const [type] = await one(`SELECT data_type FROM information_schema.columns WHERE table_name = ${literal(table)} AND column_name = ${literal(column)}`);
const [rows, distinctIds, minSelfCosine, sumFirst] = await one(
  `SELECT count(*)::BIGINT, count(DISTINCT id)::BIGINT, min(array_cosine_similarity(${name(column)}, ${name(column)}))::DOUBLE, ` +
  `sum(${name(column)}[1])::DOUBLE FROM ${name(table)}`);
console.log(JSON.stringify({ version, type, rows: Number(rows), distinct_ids: Number(distinctIds), min_self_cosine: minSelfCosine, sum_first: sumFirst }));
