// Version 3: the derived properties listings filter and sort on: a claim's or an event's
// materialised status, and the day events and reports are sorted by.
CREATE INDEX kg_claim_status IF NOT EXISTS FOR (n:Claim) ON (n.status);
CREATE INDEX kg_event_status IF NOT EXISTS FOR (n:Event) ON (n.status);
CREATE INDEX kg_event_date IF NOT EXISTS FOR (n:Event) ON (n.sort_date);
CREATE INDEX kg_report_date IF NOT EXISTS FOR (n:Report) ON (n.sort_date);
