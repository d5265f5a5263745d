"""Resolution: remedy policy, precedents, proposals, approvals, decision letters, remedies."""
