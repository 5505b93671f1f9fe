// The ceiling for kg over Bolt: the Cypher one kg request sends, replayed straight over
// Bolt with the same driver settings a GraphQL layer would have, at a given concurrency.
// Usage: node ceiling.mjs QUERIES.json CONNECTIONS SECONDS   (prints requests per second)
// QUERIES.json: [{ "text": "...", "params": { ... } }, ...], as kg logs them under
// KG_LOG=kg::cypher=trace; one "request" runs them in order.
import { readFileSync } from "node:fs";
import neo4j from "neo4j-driver";

const [file, connections, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
// JSON numbers that are whole go over Bolt as integers, as kg sends them (LIMIT needs one).
const bolt = (value) =>
  Number.isInteger(value) ? neo4j.int(value)
  : Array.isArray(value) ? value.map(bolt)
  : value && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bolt(v)]))
  : value;
const queries = JSON.parse(readFileSync(file, "utf8")).map((q) => ({ text: q.text, params: bolt(q.params) }));
const driver = neo4j.driver(
  process.env.PEER_BOLT_URI,
  neo4j.auth.basic(process.env.PEER_USER, process.env.PEER_PASSWORD),
  { disableLosslessIntegers: true },
);
const database = process.env.PEER_DATABASE;
const until = Date.now() + seconds * 1000;
let done = 0;
const worker = async () => {
  const session = driver.session({ database, defaultAccessMode: neo4j.session.READ });
  try {
    while (Date.now() < until) {
      for (const { text, params } of queries) await session.run(text, params);
      done += 1;
    }
  } finally {
    await session.close();
  }
};
const started = Date.now();
await Promise.all(Array.from({ length: connections }, worker));
console.log((done / ((Date.now() - started) / 1000)).toFixed(2));
await driver.close();
