"""A stateful mock of Pipedrive's v1 API (the parts a call-logging connector uses).

Shapes as Pipedrive documents them: integer ids; every answer in the envelope
`{success, data, additional_data}`, lists with `additional_data.pagination` (`start`, `limit`,
`more_items_in_collection`, `next_start`); errors as `{success: false, error, error_info,
data: null, additional_data: null}`; persons searched by phone under `data.items[].item`;
activities with an HTML `note`, `due_date`/`due_time` in UTC and `duration` as `HH:MM`; an
OAuth token endpoint that authenticates the client with a Basic header only (as Pipedrive's
does) and rotates nothing but the access token on refresh.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .mockhttp import HTTPFailure, Json, Request, Router

CLIENT_ID = "pd-client-7f3a"
CLIENT_SECRET = "pd-secret-2b9c41"
ME = {"id": 13056329, "name": "Dana Dealer", "email": "dana@acme.example",
      "timezone_name": "Europe/Tallinn", "timezone_offset": "+02:00", "company_id": 7342011,
      "company_name": "Acme OÜ", "company_domain": "acme-sandbox", "active_flag": True}  # fmt: skip
OTHER_USER = {"id": 13056330, "name": "Ilmar Ingel", "email": "ilmar@acme.example",
              "active_flag": True}  # fmt: skip
#: Seeded person: the smoke call's caller (+1 650 555 0101) is one of Pipedrive's persons.
SEEDED_PERSONS = [
    {"name": "Mart Männik", "phone": [{"label": "work", "value": "+1 (650) 555-0101",
                                       "primary": True}]},
    {"name": "Kadri Kask", "phone": [{"label": "mobile", "value": "+1 650 555 0177",
                                      "primary": True}]},
]  # fmt: skip
ACTIVITY_FIELDS = ("subject", "type", "note", "due_date", "due_time", "duration", "person_id",
                   "user_id", "done", "deal_id", "org_id")  # fmt: skip


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _error(status: int, error: str, info: str = "") -> HTTPFailure:
    info = info or "Please check developers.pipedrive.com"
    body = {"success": False, "error": error, "error_info": info, "data": None,
            "additional_data": None}  # fmt: skip
    return HTTPFailure(status, body)


@dataclass
class PipedriveState:
    """What the CRM holds; one lock, as a real CRM serialises writes to one record."""

    persons: dict[int, dict[str, Any]] = field(default_factory=dict)
    activities: dict[int, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch)
    refresh_tokens: set[str] = field(default_factory=set)
    next_id: int = 4817
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for person in SEEDED_PERSONS:
            self.add_person(dict(person))

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def add_person(self, fields: dict[str, Any]) -> dict[str, Any]:
        person = {"id": self.new_id(), "name": fields.get("name", ""), "owner_id": ME["id"],
                  "phone": fields.get("phone") or [], "email": [], "org_id": None,
                  "add_time": _now()}  # fmt: skip
        self.persons[person["id"]] = person
        return person

    def issue_tokens(self) -> dict[str, Any]:
        access = "pd-at-" + secrets.token_hex(12)
        refresh = "pd-rt-" + secrets.token_hex(12)
        self.access_tokens[access] = datetime.now(UTC).timestamp() + 3599
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "token_type": "Bearer", "refresh_token": refresh,
                "scope": "base,contacts:full,activities:full", "expires_in": 3599,
                "api_domain": "https://acme-sandbox.pipedrive.com"}  # fmt: skip


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _ok(data: Json, **extra: Json) -> tuple[int, Json]:
    return 200, {"success": True, "data": data, **extra}


class PipedriveCRM:
    """The WSGI app: `PipedriveCRM(state)`; `app.router.requests` records what arrived."""

    def __init__(self, state: PipedriveState | None = None) -> None:
        self.state = state or PipedriveState()
        router = Router(before=self._authenticate)
        router.not_found = lambda path: _error(404, "Unknown method .").body
        router.add("POST", r"/oauth/token", self._token)
        router.add("GET", r"/v1/users/me", self._me)
        router.add("GET", r"/v1/users", self._users)
        router.add("GET", r"/v1/persons/search", self._search_persons)
        router.add("POST", r"/v1/persons", self._add_person)
        router.add("GET", r"/v1/persons/(\d+)", self._get_person)
        router.add("GET", r"/v1/activities", self._list_activities)
        router.add("POST", r"/v1/activities", self._add_activity)
        router.add("GET", r"/v1/activities/(\w+)", self._get_activity)
        router.add("PUT", r"/v1/activities/(\w+)", self._update_activity)
        router.add("DELETE", r"/v1/activities/(\w+)", self._delete_activity)
        self.router = router

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.router(environ, start_response)

    # --- auth ----------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> None:
        if request.path == "/oauth/token":
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        expiry = self.state.access_tokens.get(token) if scheme == "Bearer" else None
        if expiry is None or expiry < datetime.now(UTC).timestamp():
            raise _error(401, "unauthorized access", "Please check developers.pipedrive.com")

    def _token(self, request: Request) -> tuple[int, Json]:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            pair = base64.b64decode(encoded).decode() if scheme == "Basic" else ""
        except ValueError:
            pair = ""
        if pair != f"{CLIENT_ID}:{CLIENT_SECRET}":
            # Pipedrive answers a missing or wrong Basic header this way, whatever the form.
            return 401, {"success": False, "message": "Invalid client credentials"}
        form = request.form()
        with self.state.lock:
            if form.get("grant_type") != "refresh_token":
                return 400, {"error": "unsupported_grant_type"}
            token = form.get("refresh_token", "")
            if token not in self.state.refresh_tokens:
                return 400, {"error": "invalid_grant", "error_description": "Invalid grant"}
            tokens = self.state.issue_tokens()
            # Pipedrive keeps the refresh token: hand the same one back.
            self.state.refresh_tokens.discard(tokens["refresh_token"])
            tokens["refresh_token"] = token
            return 200, tokens

    # --- users and persons ---------------------------------------------------------------

    def _me(self, request: Request) -> tuple[int, Json]:
        return _ok(dict(ME))

    def _users(self, request: Request) -> tuple[int, Json]:
        return _ok([dict(ME), dict(OTHER_USER)])

    def _search_persons(self, request: Request) -> tuple[int, Json]:
        term = request.query.get("term", "")
        if len(term) < 2:
            raise _error(400, "Search term must be at least 2 characters long")
        digits = _digits(term)
        with self.state.lock:
            found = [
                p for p in self.state.persons.values()
                if digits and any(_digits(ph["value"]).endswith(digits) for ph in p["phone"])
            ]  # fmt: skip
        start = int(request.query.get("start", "0"))
        limit = int(request.query.get("limit", "100"))
        page = found[start : start + limit]
        items = [
            {"result_score": 0.9, "item": {"id": p["id"], "type": "person", "name": p["name"],
                                           "phones": [ph["value"] for ph in p["phone"]],
                                           "owner": {"id": p["owner_id"]}}}
            for p in page
        ]  # fmt: skip
        more = start + limit < len(found)
        pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
        if more:
            pagination["next_start"] = start + limit
        return _ok({"items": items}, additional_data={"pagination": pagination})

    def _add_person(self, request: Request) -> tuple[int, Json]:
        body = request.json()
        if not isinstance(body, dict) or not body.get("name"):
            raise _error(400, "Name must be given.")
        phone = body.get("phone")
        phones = [{"label": "work", "value": phone, "primary": True}] if phone else []
        with self.state.lock:
            return 201, {"success": True, "data": self.state.add_person(
                {"name": body["name"], "phone": phones})}

    def _get_person(self, request: Request, person_id: str) -> tuple[int, Json]:
        person = self.state.persons.get(int(person_id))
        if person is None:
            raise _error(404, "Person not found")
        return _ok(dict(person))

    # --- activities ----------------------------------------------------------------------

    def _activity(self, activity_id: str) -> dict[str, Any]:
        activity = self.state.activities.get(int(activity_id)) if activity_id.isdigit() else None
        if activity is None or activity.get("deleted"):
            raise _error(404, "Activity not found")
        return activity

    def _with_related(self, activity: dict[str, Any]) -> tuple[int, Json]:
        person = self.state.persons.get(activity.get("person_id") or -1)
        related = {"person": {str(person["id"]): {"id": person["id"], "name": person["name"]}}}
        return _ok(dict(activity), related_objects=related if person else {})

    def _add_activity(self, request: Request) -> tuple[int, Json]:
        body = request.json()
        if not isinstance(body, dict) or not body.get("subject"):
            raise _error(400, "Subject is required")
        unknown = sorted(set(body) - set(ACTIVITY_FIELDS))
        if unknown:
            raise _error(400, f"Unknown field(s): {', '.join(unknown)}")
        with self.state.lock:
            activity = {key: body.get(key) for key in ACTIVITY_FIELDS}
            activity.update(id=self.state.new_id(), add_time=_now(), update_time=_now(),
                            update_user_id=ME["id"], deleted=False)  # fmt: skip
            self.state.activities[activity["id"]] = activity
            return self._with_related(activity)

    def _get_activity(self, request: Request, activity_id: str) -> tuple[int, Json]:
        with self.state.lock:
            return self._with_related(self._activity(activity_id))

    def _update_activity(self, request: Request, activity_id: str) -> tuple[int, Json]:
        body = request.json()
        if not isinstance(body, dict):
            raise _error(400, "Body must be an object")
        unknown = sorted(set(body) - set(ACTIVITY_FIELDS))
        if unknown:
            raise _error(400, f"Unknown field(s): {', '.join(unknown)}")
        with self.state.lock:
            activity = self._activity(activity_id)
            activity.update(body)  # Pipedrive's PUT changes only the fields it is given
            activity["update_time"] = _now()
            return self._with_related(activity)

    def _delete_activity(self, request: Request, activity_id: str) -> tuple[int, Json]:
        with self.state.lock:
            activity = self._activity(activity_id)
            activity["deleted"] = True
            return _ok({"id": activity["id"]})

    def _list_activities(self, request: Request) -> tuple[int, Json]:
        start = int(request.query.get("start", "0"))
        limit = min(int(request.query.get("limit", "100")), 500)
        with self.state.lock:
            live = [dict(a) for a in self.state.activities.values() if not a.get("deleted")]
        page = live[start : start + limit]
        more = start + limit < len(live)
        pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
        if more:
            pagination["next_start"] = start + limit
        return _ok(page or None, additional_data={"pagination": pagination})

    def live_activities(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(a) for a in self.state.activities.values() if not a.get("deleted")]
