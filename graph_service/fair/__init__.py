"""Fair matchmaking (永不落幕科创会): an event's instance, its plan (themed sessions, invitations, the
1:1 meeting schedule), re-planning, agendas and outcomes."""
