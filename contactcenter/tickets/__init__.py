"""The CRM and service-level store: customers, interactions, tickets and their audit trail."""
