// Node statements. __LABEL__ is replaced by a label from graph_service.schema.Label (a whitelist), never by input.
// Lookups by id carry USING INDEX SEEK: right after a database is emptied and loaded again, the planner's
// statistics are stale and, without the hint, it was seen scanning the whole id index instead of seeking.

// Each row is [id, name, props].
// name: upsert_nodes
UNWIND $rows AS row
MERGE (n:Entity {id: row[0]})
ON CREATE SET n:__LABEL__
SET n = row[2], n.id = row[0], n.name = row[1];

// name: labels_of
MATCH (n:Entity)
USING INDEX SEEK n:Entity(id)
WHERE n.id IN $ids
RETURN n.id AS id, [l IN labels(n) WHERE l <> 'Entity'][0] AS label;

// name: get_nodes
MATCH (n:Entity)
USING INDEX SEEK n:Entity(id)
WHERE n.id IN $ids
RETURN n.id AS id, [l IN labels(n) WHERE l <> 'Entity'][0] AS label, properties(n) AS props;

// name: search
MATCH (n:Entity)
WHERE n.name CONTAINS $text AND ($label IS NULL OR $label IN labels(n))
RETURN n.id AS id, [l IN labels(n) WHERE l <> 'Entity'][0] AS label, properties(n) AS props
ORDER BY size(n.name), n.id
LIMIT $limit;

// name: delete_node
MATCH (n:Entity {id: $id})
USING INDEX SEEK n:Entity(id)
WITH n, n.id AS id
DETACH DELETE n
RETURN count(id) AS deleted;

// Its uniqueness lock is held until the transaction ends: bulk loads into an empty database wait for each
// other. $id is no entity's id (ids match models.EntityId), and the node is gone before the commit.
// name: bulk_load_lock
MERGE (s:Entity {id: $id})
DELETE s;

// Read from the count store, one branch per label of graph_service.schema.Label. The count is taken alone:
// with a grouping key beside it the planner scans instead.
// name: count_nodes
CALL () { MATCH (n:Researcher) WITH count(n) AS n RETURN 'Researcher' AS label, n
  UNION ALL MATCH (n:Institution) WITH count(n) AS n RETURN 'Institution' AS label, n
  UNION ALL MATCH (n:Enterprise) WITH count(n) AS n RETURN 'Enterprise' AS label, n
  UNION ALL MATCH (n:Field) WITH count(n) AS n RETURN 'Field' AS label, n
  UNION ALL MATCH (n:Region) WITH count(n) AS n RETURN 'Region' AS label, n
  UNION ALL MATCH (n:Circle) WITH count(n) AS n RETURN 'Circle' AS label, n
  UNION ALL MATCH (n:Need) WITH count(n) AS n RETURN 'Need' AS label, n
  UNION ALL MATCH (n:Offer) WITH count(n) AS n RETURN 'Offer' AS label, n
  UNION ALL MATCH (n:Deal) WITH count(n) AS n RETURN 'Deal' AS label, n }
RETURN label, n;

// Columns of $chunk nodes per record: a record costs the driver far more than a list element. The label's
// node references are collected first (on the server: about 100 bytes a node), then streamed in chunks.
// name: scan_nodes
MATCH (n:__LABEL__)
WITH collect(n) AS nodes
UNWIND range(0, size(nodes) - 1, $chunk) AS i
WITH nodes[i..i + $chunk] AS part
RETURN [n IN part | n.id] AS ids, [a IN $attrs | [n IN part | n[a]]] AS attrs;

// Test fixtures only: empties the database between contract tests.
// name: clear_all
MATCH (n:Entity)
DETACH DELETE n;
