//! The one integration test binary. Store-level and GraphQL-level behaviours are written
//! once, with `conformance!`, and run against every store; process-level behaviours (HTTP,
//! WebSocket, crash recovery, the committed SDL) run once.

mod harness;

mod analysis;
mod answers;
mod crash_recovery;
mod digests;
mod export_round_trip;
mod filters;
mod graphiql;
mod http;
mod import_cli;
mod importing;
mod materialised;
mod merges;
mod neo4j_server;
mod outcomes_and_keys;
mod pagination_and_lookup;
mod pipelined_import;
mod query_limits;
mod readme_example;
mod schema_drift;
mod seed_answers;
mod seed_fidelity;
mod several_writers;
mod status_changes;
mod statuses;
mod store_calls;
mod transport;
mod walks;
