// The peer users would pick instead of kg: the Neo4j GraphQL Library with Apollo Server,
// generated CRUD over the same test server. Prints `listening on HOST:PORT` when ready.
// Environment: PEER_BOLT_URI, PEER_USER, PEER_PASSWORD, PEER_DATABASE, PEER_PORT (0: any).
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const typeDefs = `#graphql
  type Event @node {
    title: String!
    participants: [Person!]! @relationship(type: "PARTICIPATED_IN", direction: IN)
    reportedBy: [Outlet!]! @relationship(type: "REPORTED", direction: IN)
    deniedBy: [Outlet!]! @relationship(type: "DENIED", direction: IN)
  }
  type Person @node { name: String! }
  type Outlet @node { name: String! }
`;

const driver = neo4j.driver(
  process.env.PEER_BOLT_URI,
  neo4j.auth.basic(process.env.PEER_USER, process.env.PEER_PASSWORD),
);
const neoSchema = new Neo4jGraphQL({ typeDefs, driver });
const server = new ApolloServer({ schema: await neoSchema.getSchema() });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(process.env.PEER_PORT ?? 0) },
  // The test server does not parse the `CYPHER 5` prefix the library adds by default.
  context: async () => ({
    sessionConfig: { database: process.env.PEER_DATABASE },
    cypherQueryOptions: { addVersionPrefix: false },
  }),
});
console.log(`listening on ${new URL(url).host}`);
