"""Core services that views and plugins use: permissions, plugin gate, notifications,
audit, certificates, portfolio, search, jobs, uploads, markdown."""
