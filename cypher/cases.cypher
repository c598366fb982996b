// Cases of the 保姆式 service (graph_service/stores/cases.py): :Case, and :CaseEvent numbered by the one
// :CaseLog counter. Labels of their own, outside the graph's :Entity whitelist.

// name: constraint_case_id
CREATE CONSTRAINT case_id IF NOT EXISTS FOR (c:Case) REQUIRE c.id IS UNIQUE;

// name: constraint_case_need
CREATE CONSTRAINT case_need IF NOT EXISTS FOR (c:Case) REQUIRE c.need IS UNIQUE;

// name: index_case_stage
CREATE RANGE INDEX case_stage IF NOT EXISTS FOR (c:Case) ON (c.stage);

// name: constraint_case_log_name
CREATE CONSTRAINT case_log_name IF NOT EXISTS FOR (h:CaseLog) REQUIRE h.name IS UNIQUE;

// name: index_case_event_case_seq
CREATE RANGE INDEX case_event_case_seq IF NOT EXISTS FOR (e:CaseEvent) ON (e.case_id, e.seq);

// name: index_case_event_seq
CREATE RANGE INDEX case_event_seq IF NOT EXISTS FOR (e:CaseEvent) ON (e.seq);

// name: create_case
CREATE (c:Case)
SET c = $record;

// name: get_case
MATCH (c:Case {id: $id})
RETURN properties(c) AS found;

// name: case_for_need
MATCH (c:Case {need: $need})
RETURN properties(c) AS found;

// Filters are optional (null: any); the id index read in order pages through the cases.
// name: list_cases
MATCH (c:Case)
WHERE c.id > $after
  AND ($stage IS NULL OR c.stage = $stage)
  AND ($assignee IS NULL OR c.assignee = $assignee)
  AND ($enterprise IS NULL OR c.enterprise = $enterprise)
  AND ($introduced IS NULL OR $introduced IN coalesce(c.introduced, []))
RETURN properties(c) AS found
ORDER BY c.id
LIMIT $limit;

// The case's write lock, taken before its token is read and held to the commit: of two updates naming
// the same token, the second reads the first one's token and is refused.
// name: lock_case
MATCH (c:Case {id: $id})
SET c.locked = true
WITH c
RETURN properties(c) AS found;

// name: set_case
MATCH (c:Case {id: $id})
SET c += $changes
REMOVE c.locked
RETURN properties(c) AS found;

// The counter's write lock is taken (by the first SET) before its number is read (as log_change does).
// name: append_case_event
MATCH (c:Case {id: $case_id})
MERGE (h:CaseLog {name: $log})
ON CREATE SET h.seq = 0, h.epoch = randomUUID()
SET h.locked = true
WITH c, h
SET h.seq = h.seq + 1
CREATE (e:CaseEvent {case_id: c.id, seq: h.seq})
SET e += $event
SET c.active = CASE WHEN c.active IS NULL OR c.active < $event.at THEN $event.at ELSE c.active END
RETURN h.seq AS seq;

// A history at once (the generator's): the cases, then their events, in one transaction.
// name: import_cases
UNWIND $cases AS record
CREATE (c:Case)
SET c = record;

// The counter moves by the number of events, which take the numbers in between in the order given.
// name: import_case_events
MERGE (h:CaseLog {name: $log})
ON CREATE SET h.seq = 0, h.epoch = randomUUID()
SET h.locked = true
WITH h, h.seq AS base
SET h.seq = base + size($events)
WITH base
UNWIND range(0, size($events) - 1) AS i
CREATE (e:CaseEvent {case_id: $events[i].case_id, seq: base + i + 1})
SET e += $events[i].props;

// name: case_events
MATCH (e:CaseEvent)
WHERE e.case_id = $case_id AND e.seq > 0
RETURN properties(e) AS event
ORDER BY e.seq
LIMIT $limit;

// name: case_counts
MATCH (c:Case)
WHERE c.stage IS NOT NULL
RETURN c.stage AS stage, count(c) AS n;

// One record holding every case's facts: the driver's cost per record, not the server, dominated a
// year of cases read one record each (bench/case_dashboard.py: 495 ms -> 200 ms for 12,000).
// name: case_facts
MATCH (c:Case)
WHERE c.id IS NOT NULL
WITH c
ORDER BY c.id
RETURN collect([c.id, c.need, c.enterprise, c.stage, c.assignee, c.posted, c.reached, c.active, c.due,
                c.close_reason, c.next_action]) AS rows;

// The cases changed since an event number: those with a later event (every change writes one).
// name: case_facts_since
MATCH (e:CaseEvent)
WHERE e.seq > $since
WITH DISTINCT e.case_id AS id
MATCH (c:Case {id: id})
WITH c
ORDER BY c.id
RETURN collect([c.id, c.need, c.enterprise, c.stage, c.assignee, c.posted, c.reached, c.active, c.due,
                c.close_reason, c.next_action]) AS rows;

// name: changed_cases
MATCH (e:CaseEvent)
WHERE e.seq > $since
WITH DISTINCT e.case_id AS id
MATCH (c:Case {id: id})
WITH c
ORDER BY c.id
RETURN collect(properties(c)) AS found;

// name: all_cases
MATCH (c:Case)
WHERE c.id IS NOT NULL
WITH c
ORDER BY c.id
RETURN collect(properties(c)) AS found;

// name: case_log_mark
MATCH (h:CaseLog {name: $log})
RETURN h.seq AS seq, h.epoch AS epoch;

// name: open_loads
MATCH (c:Case)
WHERE c.stage IS NOT NULL AND c.assignee IS NOT NULL AND NOT c.stage IN $ended
RETURN c.assignee AS assignee, count(c) AS n;

// name: constraint_case_staff_name
CREATE CONSTRAINT case_staff_name IF NOT EXISTS FOR (s:CaseStaff) REQUIRE s.username IS UNIQUE;

// name: put_staff
MERGE (s:CaseStaff {username: $profile.username})
SET s = $profile;

// name: staff_profiles
MATCH (s:CaseStaff)
WHERE s.username IS NOT NULL
RETURN properties(s) AS profile
ORDER BY s.username;
