// Runs graphql-http's server audits against the kg server at process.argv[2] and prints
// each result. Exits 1 if any MUST fails; SHOULDs and MAYs are listed, not fatal.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  results.push({ name: audit.name, ...(await audit.fn()) });
}
let mustFailures = 0;
for (const result of results) {
  const level = result.name.split(' ')[0];
  if (result.status !== 'ok') {
    if (level === 'MUST') mustFailures += 1;
    console.log(`${result.status.toUpperCase()}  ${result.name}: ${result.reason}`);
  }
}
const counts = results.reduce((c, r) => ({ ...c, [r.status]: (c[r.status] || 0) + 1 }), {});
console.log(`audits: ${results.length}, ${JSON.stringify(counts)}, MUST failures: ${mustFailures}`);
process.exit(mustFailures === 0 ? 0 : 1);
