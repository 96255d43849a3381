"""The filing portal (`inclusive-check serve`): insurers file and attest, supervisors review (docs/portal.md)."""
