// The change feed (graph_service/stores/changes.py): :ChangeFeed holds the head, one :Change per graph
// write, written in the write's own transaction. Labels of their own, outside the :Entity whitelist.

// name: constraint_feed_name
CREATE CONSTRAINT change_feed_name IF NOT EXISTS FOR (h:ChangeFeed) REQUIRE h.name IS UNIQUE;

// name: constraint_change_seq
CREATE CONSTRAINT change_seq IF NOT EXISTS FOR (c:Change) REQUIRE c.seq IS UNIQUE;

// name: create_feed
MERGE (h:ChangeFeed {name: $feed})
ON CREATE SET h.seq = 0, h.store_id = randomUUID();

// The head's write lock is taken (by the first SET) before its number is read, and held to the commit:
// writers number their changes in commit order, and no two read the same number.
// name: log_change
MERGE (h:ChangeFeed {name: $feed})
ON CREATE SET h.seq = 0, h.store_id = randomUUID()
SET h.locked = true
WITH h
SET h.seq = h.seq + 1
CREATE (c:Change {seq: h.seq, nodes: $nodes, rels: $rels, reset: $reset})
RETURN h.seq AS seq;

// name: prune_changes
MATCH (c:Change)
WHERE c.seq <= $upto
DELETE c;

// name: feed_head
MATCH (h:ChangeFeed {name: $feed})
RETURN h.seq AS seq, h.store_id AS store_id;

// name: changes_since
MATCH (c:Change)
WHERE c.seq > $after
RETURN c.seq AS seq, c.nodes AS nodes, c.rels AS rels, c.reset AS reset
ORDER BY c.seq
LIMIT $limit;

// Each pair is [src id, dst id]; the weight as scan_rels reads it.
// name: rel_weights
UNWIND $pairs AS pair
MATCH (a:Entity {id: pair[0]})-[r:__TYPE__]->(b:Entity {id: pair[1]})
USING INDEX SEEK a:Entity(id)
USING INDEX SEEK b:Entity(id)
RETURN pair[0] AS src, pair[1] AS dst, coalesce(r.weight, 1.0) AS weight;
