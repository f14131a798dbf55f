"""Outbound dialing: campaigns, lead lists, do-not-call lists, calling windows and the pacer.

Modules
    models        SQL records: Campaign, Lead, DncEntry, LeadImport(+Rejection), DialAttempt, DialDecision
    compliance    rule sets (US TSR/TCPA, UK Ofcom), regulatory periods, the abandonment ledger,
                  the safe-harbor message
    windows       calling windows in the called party's local time (DST-correct, per-state rules)
    dnc           internal and per-campaign do-not-call lists
    campaigns     campaign settings, their validation and lifecycle
    dial_gate     the dial gate (every refusal recorded) and the lead claims that pass it
    preview_dialing  preview mode: a lead held for one agent, dialed or skipped by them
    outcomes      call outcomes, retries and dispositions
    ledger_records  the period's abandonment ledger and calls in flight, from the records
    campaign_dialers  the worker's wiring: SQL lead claims, one dialer per running campaign
    leads_import  CSV import with a validation report (nothing dropped silently)
    pacer         the pacing algorithm, the AgentPool port, the leader-elected worker loop
    simulation    a discrete-event call model that drives the real pacer on a simulated clock
    cli           `contactcenter leads import` and `contactcenter simulate dialer`

See docs/dialer.md for the pacing algorithm, why the abandonment cap holds, and the call model.
"""
