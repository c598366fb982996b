// Relationship statements. __TYPE__ is replaced by a type from graph_service.schema.RelType (a whitelist).

// name: upsert_rels
UNWIND $rows AS row
MATCH (a:Entity {id: row.src})
MATCH (b:Entity {id: row.dst})
MERGE (a)-[r:__TYPE__]->(b)
SET r = row.props;

// name: delete_rel
MATCH (:Entity {id: $src})-[r:__TYPE__]->(:Entity {id: $dst})
WITH r LIMIT 1
DELETE r
RETURN count(*) AS deleted;

// name: relationships
CALL (*) {
  MATCH (n:Entity {id: $id})-[r]->(m:Entity)
  WHERE $outgoing AND type(r) IN $types
  RETURN type(r) AS type, n.id AS src, m.id AS dst, properties(r) AS props
  UNION ALL
  MATCH (n:Entity {id: $id})<-[r]-(m:Entity)
  WHERE $incoming AND type(r) IN $types
  RETURN type(r) AS type, m.id AS src, n.id AS dst, properties(r) AS props
}
RETURN type, src, dst, props
ORDER BY type, src, dst
LIMIT $limit;

// name: count_rels
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS n;

// name: scan_rels
MATCH (a:Entity)-[r:__TYPE__]->(b:Entity)
RETURN a.id AS src, b.id AS dst, coalesce(r.weight, 1.0) AS weight;
