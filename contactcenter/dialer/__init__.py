"""Outbound dialing: campaigns, lead lists, do-not-call lists, calling windows and the pacer.

Modules
    models        SQL records: Campaign, Lead, DncEntry, LeadImport(+Rejection), DialAttempt, DialDecision
    compliance    rule sets (US TSR/TCPA, UK Ofcom), regulatory periods, the abandonment ledger,
                  the safe-harbor message
    windows       calling windows in the called party's local time (DST-correct, per-state rules)
    dnc           internal and per-campaign do-not-call lists
    services      campaign lifecycle, the dial gate (every refusal recorded), call outcomes, retries
    leads_import  CSV import with a validation report (nothing dropped silently)
    pacer         the pacing algorithm, the AgentPool port, the leader-elected worker loop
    simulation    a discrete-event call model that drives the real pacer on a simulated clock
    cli           `contactcenter leads import` and `contactcenter simulate dialer`

See docs/dialer.md for the pacing algorithm, why the abandonment cap holds, and the call model.
"""
