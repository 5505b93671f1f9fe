// Version 1: the natural key every import merges on, and the indexes listings use.
// Every node carries the KgNode label and a label of its kind; `id` is `Label:key`.
CREATE CONSTRAINT kg_node_id IF NOT EXISTS FOR (n:KgNode) REQUIRE n.id IS UNIQUE;
CREATE INDEX kg_person_sort IF NOT EXISTS FOR (n:Person) ON (n.sort_key);
CREATE INDEX kg_organization_sort IF NOT EXISTS FOR (n:Organization) ON (n.sort_key);
CREATE INDEX kg_place_sort IF NOT EXISTS FOR (n:Place) ON (n.sort_key);
CREATE INDEX kg_event_sort IF NOT EXISTS FOR (n:Event) ON (n.sort_key);
CREATE INDEX kg_report_sort IF NOT EXISTS FOR (n:Report) ON (n.sort_key);
CREATE INDEX kg_assertion_sort IF NOT EXISTS FOR (n:Assertion) ON (n.sort_key);
CREATE INDEX kg_source_sort IF NOT EXISTS FOR (n:Source) ON (n.sort_key);
CREATE INDEX kg_claim_sort IF NOT EXISTS FOR (n:Claim) ON (n.sort_key);
CREATE INDEX kg_claim_attribute IF NOT EXISTS FOR (n:Claim) ON (n.attribute);
CREATE INDEX kg_organization_kind IF NOT EXISTS FOR (n:Organization) ON (n.organization_kind);
