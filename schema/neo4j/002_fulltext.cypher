// Version 2: full-text search over names, aliases, titles, statements and descriptions.
// A server without full-text indexes (the ArcadeDB test server) refuses this; the store
// then records search mode `scan` and matches `search_words` instead (see ARCHITECTURE.md).
CREATE FULLTEXT INDEX kg_search IF NOT EXISTS FOR (n:Person|Organization|Place|Event|Report|Assertion|Source|Claim) ON EACH [n.search_primary, n.search_secondary];
