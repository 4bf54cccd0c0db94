"""Knowledge base, environment context and similar past incidents: what the diagnosis reads
besides the cluster."""
