// Every node carries :Entity plus its own label; ids are unique across all labels, as in the embedded store.
// name: constraint_entity_id
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;

// name: index_entity_name
CREATE TEXT INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name);
