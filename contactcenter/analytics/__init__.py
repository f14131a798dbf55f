"""Analytical CRM: customers' orders, and what they tell us — RFM segments, lifetime value, P(alive).

Orders come in by CSV import (`import_orders`), the REST API or the synthetic generator; figures
are recomputed in bulk (`services.recompute`) and stored per customer, so reading them (the
desktop's screen pop, the customer page) is one indexed query.
"""
