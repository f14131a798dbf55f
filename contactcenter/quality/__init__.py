"""Quality management on recorded calls: scorecard forms (versioned, weighted questions in
sections, auto-fail items), evaluations of a call's recording by a supervisor, the agent's
acknowledgement or dispute, and weekly averages per agent and per queue."""
