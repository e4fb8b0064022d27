"""Connectors and mock CRMs this repository did not design: issue 13's foreign-connector suite.

Each mock CRM follows the shape of a real public CRM API (ids, envelopes, HTML bodies,
pagination, error bodies); each connector is written against the project's connector
contract the way a connector developer would write it for that CRM.
"""
