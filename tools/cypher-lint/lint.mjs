// Checks every statement in the given .cypher files (or folders) with the official Neo4j Cypher 5
// front end, offline: syntax and semantic analysis. Parameters ($name) are declared so they are not
// reported as missing. Prints one line per diagnostic and a summary; exit 1 on any error.
import { lintCypherQuery, parseStatementsStrs } from '@neo4j-cypher/language-support';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const cypherFiles = (path) => statSync(path).isDirectory()
  ? readdirSync(path).sort().flatMap((entry) => cypherFiles(join(path, entry)))
  : (path.endsWith('.cypher') ? [path] : []);

const files = process.argv.slice(2).flatMap(cypherFiles);
const totals = { statements: 0, errors: 0, warnings: 0 };
for (const file of files) {
  const source = readFileSync(file, 'utf8').split('\n').filter((l) => !l.trim().startsWith('//')).join('\n');
  for (const raw of parseStatementsStrs(source)) {
    const statement = raw.trim().replace(/;\s*$/, '');
    if (statement === '') continue;
    totals.statements += 1;
    const parameters = Object.fromEntries(
      [...statement.matchAll(/\$([A-Za-z_]\w*)/g)].map((m) => [m[1], null]));
    for (const d of lintCypherQuery(statement, { parameters }).diagnostics) {
      const error = d.severity === 1;
      totals[error ? 'errors' : 'warnings'] += 1;
      const where = `${file}:${(d.range?.start?.line ?? 0) + 1}`;
      console.log(`${error ? 'ERROR' : 'WARN '} ${where} ${d.message.split('\n')[0]} | ${statement.replace(/\s+/g, ' ').slice(0, 90)}`);
    }
  }
}
console.log(`${files.length} files, ${totals.statements} statements, ${totals.errors} errors, ${totals.warnings} warnings`);
process.exit(files.length === 0 ? 2 : (totals.errors > 0 ? 1 : 0));
