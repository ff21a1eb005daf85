"""The culler's Prometheus metrics, in a registry of its own (served at ``{prefix}metrics``).

A private registry keeps a test or a second service in the same process from clashing with
the hub's default one, and keeps process metrics out unless asked for.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class CullerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.sweep_duration = Histogram(
            "hubtypes_culler_sweep_duration_seconds",
            "How long one sweep took",
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
            registry=r,
        )
        self.sweeps = Counter(
            "hubtypes_culler_sweeps", "Sweeps run, by outcome", ["outcome"], registry=r
        )
        self.servers_culled = Counter(
            "hubtypes_culler_servers_culled",
            "Servers stopped (or removed), by kind of user and reason",
            ["kind", "reason"],
            registry=r,
        )
        self.users_deleted = Counter(
            "hubtypes_culler_users_deleted",
            "Users deleted, by kind and reason",
            ["kind", "reason"],
            registry=r,
        )
        self.servers_spared_busy = Counter(
            "hubtypes_culler_servers_spared_busy",
            "Idle servers kept because a kernel was busy, by kind",
            ["kind"],
            registry=r,
        )
        self.errors = Counter(
            "hubtypes_culler_errors", "Users a sweep failed to handle", ["kind"], registry=r
        )
        self.hub_requests = Counter(
            "hubtypes_culler_hub_api_requests", "Hub API requests, by method", ["method"],
            registry=r,
        )  # fmt: skip
        self.hub_errors = Counter(
            "hubtypes_culler_hub_api_errors", "Hub API errors, by status", ["status"], registry=r
        )
        self.running = Gauge(
            "hubtypes_culler_running_servers",
            "Running servers seen by the last sweep, by kind",
            ["kind"],
            registry=r,
        )
        self.last_sweep = Gauge(
            "hubtypes_culler_last_sweep_timestamp_seconds",
            "When the last sweep ended (Unix time)",
            registry=r,
        )
        self.active_users = Gauge(
            "hubtypes_usage_active_users",
            "People active today, by hub type and workshop (kept when users are deleted)",
            ["hub_type", "workshop"],
            registry=r,
        )
        self.server_hours = Gauge(
            "hubtypes_usage_server_hours",
            "Server hours run today, by hub type and workshop",
            ["hub_type", "workshop"],
            registry=r,
        )
