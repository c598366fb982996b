// Accounts and the audit trail: labels of their own, outside the graph's :Entity whitelist, so the
// projection and graph reads never see them.

// name: constraint_account_username
CREATE CONSTRAINT account_username IF NOT EXISTS FOR (a:Account) REQUIRE a.username IS UNIQUE;

// name: index_audit_at
CREATE RANGE INDEX audit_at IF NOT EXISTS FOR (e:AuditEntry) ON (e.at);

// name: get_account
MATCH (a:Account {username: $username})
RETURN properties(a) AS account;

// The unique constraint's index, read in order: no label scan.
// name: list_accounts
MATCH (a:Account)
WHERE a.username IS NOT NULL
RETURN properties(a) AS account
ORDER BY a.username;

// name: add_account
CREATE (a:Account)
SET a = $account;

// name: update_account
MATCH (a:Account {username: $username})
SET a += $changes
RETURN count(a) AS updated;

// name: append_audit
CREATE (e:AuditEntry)
SET e = $entry;

// name: read_audit
MATCH (e:AuditEntry)
WHERE e.at < $before
RETURN properties(e) AS entry
ORDER BY e.at DESC
LIMIT $limit;

// Tests only: empty a shared test database's records between tests (the graph has clear_all).
// name: clear_records
MATCH (n)
WHERE n:Account OR n:AuditEntry OR n:Case OR n:CaseEvent OR n:CaseLog OR n:CaseStaff
DETACH DELETE n;
