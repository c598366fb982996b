// Relationship statements. __TYPE__ is replaced by a type from graph_service.schema.RelType (a whitelist).
// Lookups by id carry USING INDEX SEEK: with stale statistics (a database emptied and loaded again) the
// planner was seen scanning the whole id index instead of seeking.

// Each row is [src id, dst id, props].
// name: upsert_rels
UNWIND $rows AS row
MATCH (a:Entity {id: row[0]})
USING INDEX SEEK a:Entity(id)
MATCH (b:Entity {id: row[1]})
USING INDEX SEEK b:Entity(id)
MERGE (a)-[r:__TYPE__]->(b)
SET r = row[2];

// Only for pairs of the type that do not exist yet: a bulk load into an empty database (see neo4j_store).
// name: create_rels
UNWIND $rows AS row
MATCH (a:Entity {id: row[0]})
USING INDEX SEEK a:Entity(id)
MATCH (b:Entity {id: row[1]})
USING INDEX SEEK b:Entity(id)
CREATE (a)-[r:__TYPE__]->(b)
SET r = row[2];

// Pairs joined twice by the type: a bulk load's check before it commits (a scan, once per load).
// name: twice_related
MATCH (a)-[r:__TYPE__]->(b)
WITH a, b, count(r) AS n
WHERE n > 1
RETURN count(*) AS pairs;

// name: delete_rel
MATCH (a:Entity {id: $src})-[r:__TYPE__]->(b:Entity {id: $dst})
USING INDEX SEEK a:Entity(id)
USING INDEX SEEK b:Entity(id)
WITH r LIMIT 1
DELETE r
RETURN count(*) AS deleted;

// name: relationships
CALL (*) {
  MATCH (n:Entity {id: $id})-[r]->(m:Entity)
  USING INDEX SEEK n:Entity(id)
  WHERE $outgoing AND type(r) IN $types
  RETURN type(r) AS type, n.id AS src, m.id AS dst, properties(r) AS props
  UNION ALL
  MATCH (n:Entity {id: $id})<-[r]-(m:Entity)
  USING INDEX SEEK n:Entity(id)
  WHERE $incoming AND type(r) IN $types
  RETURN type(r) AS type, m.id AS src, n.id AS dst, properties(r) AS props
}
RETURN type, src, dst, props
ORDER BY type, src, dst
LIMIT $limit;

// Read from the count store, one branch per type of graph_service.schema.RelType. The count is taken alone:
// with a grouping key beside it the planner scans instead.
// name: count_rels
CALL () { MATCH ()-[r:AFFILIATED_WITH]->() WITH count(r) AS n RETURN 'AFFILIATED_WITH' AS type, n
  UNION ALL MATCH ()-[r:EXPERT_IN]->() WITH count(r) AS n RETURN 'EXPERT_IN' AS type, n
  UNION ALL MATCH ()-[r:ACTIVE_IN]->() WITH count(r) AS n RETURN 'ACTIVE_IN' AS type, n
  UNION ALL MATCH ()-[r:LOCATED_IN]->() WITH count(r) AS n RETURN 'LOCATED_IN' AS type, n
  UNION ALL MATCH ()-[r:PART_OF]->() WITH count(r) AS n RETURN 'PART_OF' AS type, n
  UNION ALL MATCH ()-[r:SUBFIELD_OF]->() WITH count(r) AS n RETURN 'SUBFIELD_OF' AS type, n
  UNION ALL MATCH ()-[r:MEMBER_OF]->() WITH count(r) AS n RETURN 'MEMBER_OF' AS type, n
  UNION ALL MATCH ()-[r:POSTED]->() WITH count(r) AS n RETURN 'POSTED' AS type, n
  UNION ALL MATCH ()-[r:ABOUT]->() WITH count(r) AS n RETURN 'ABOUT' AS type, n
  UNION ALL MATCH ()-[r:PARTY_TO]->() WITH count(r) AS n RETURN 'PARTY_TO' AS type, n
  UNION ALL MATCH ()-[r:FULFILS]->() WITH count(r) AS n RETURN 'FULFILS' AS type, n
  UNION ALL MATCH ()-[r:CO_AUTHOR]->() WITH count(r) AS n RETURN 'CO_AUTHOR' AS type, n }
RETURN type, n;

// The relationships of one type leaving nodes of one label, as columns, $chunk source nodes per record:
// the label's node references are collected on the server, then each chunk's relationships on their own.
// name: scan_rels
MATCH (a:__LABEL__)
WITH collect(a) AS nodes
UNWIND range(0, size(nodes) - 1, $chunk) AS i
CALL (nodes, i) {
  UNWIND nodes[i..i + $chunk] AS a
  MATCH (a)-[r:__TYPE__]->(b)
  RETURN collect(a.id) AS src, collect(b.id) AS dst, collect(coalesce(r.weight, 1.0)) AS weight
}
WITH src, dst, weight
WHERE size(src) > 0
RETURN src, dst, weight;
