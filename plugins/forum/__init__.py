"""Forum: boards, topics and posts for the associations (Discourse-like discussions)."""
