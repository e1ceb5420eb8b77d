"""A sample third-party plugin, installed only for the tests. It uses nothing but the core's
public API: a page under its own prefix, a nav item, an association tab, a permission, a
notification kind, a template slot, a job and demo data."""
