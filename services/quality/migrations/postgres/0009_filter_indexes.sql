-- Every filter a List method accepts is backed by an index ending in the page order
-- (these were part of the customers service's migration 9; an adopted database has
-- them already).
CREATE INDEX IF NOT EXISTS quality_reports_agent_page ON quality_reports (agent, id);
CREATE INDEX IF NOT EXISTS quality_reports_team_page ON quality_reports (team, id);
CREATE INDEX IF NOT EXISTS quality_reports_customer_page ON quality_reports (customer, id);
CREATE INDEX IF NOT EXISTS quality_reports_scoped_state ON quality_reports (customer_id, review_state, id);
CREATE INDEX IF NOT EXISTS quality_disputes_agent ON quality_disputes (agent, id);
