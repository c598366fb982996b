// Node statements. __LABEL__ is replaced by a label from graph_service.schema.Label (a whitelist), never by input.

// name: upsert_nodes
UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
ON CREATE SET n:__LABEL__
SET n = row.props, n.id = row.id, n.name = row.name;

// name: labels_of
MATCH (n:Entity)
WHERE n.id IN $ids
RETURN n.id AS id, [l IN labels(n) WHERE l <> 'Entity'][0] AS label;

// name: names_of
MATCH (n:Entity)
WHERE n.id IN $ids
RETURN n.id AS id, [l IN labels(n) WHERE l <> 'Entity'][0] AS label, n.name AS name;

// name: get_nodes
MATCH (n:Entity)
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
WITH n, n.id AS id
DETACH DELETE n
RETURN count(id) AS deleted;

// name: count_nodes
MATCH (n:Entity)
UNWIND [l IN labels(n) WHERE l <> 'Entity'] AS label
RETURN label, count(*) AS n;

// name: scan_nodes
MATCH (n:Entity:__LABEL__)
RETURN n.id AS key, n.id AS id, [a IN $attrs | n[a]] AS attrs;

// Test fixtures only: empties the database between contract tests.
// name: clear_all
MATCH (n:Entity)
DETACH DELETE n;
