"""A stateful mock of Insightly's v3.1 API (contacts, events, notes), as a proxy file uses it.

Shapes as Insightly documents them: Basic auth with the API key as user name and an empty
password; upper-case field names and integer ids (`CONTACT_ID`, `EVENT_ID`); bare JSON arrays
for lists, paged with `skip`/`top` (and `X-Total-Count` with `count_total=true`); dates as
`YYYY-MM-DD HH:MM:SS` UTC (ISO input accepted); linked records under `LINKS`; `PUT /Events`
with the id in the body; errors as `{"Message": ...}`.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .mockhttp import HTTPFailure, Json, Request, Router

API_KEY = "5e1f0c2a-7d4b-4c55-9a61-insightly-mock"
USER = {"USER_ID": 1894233, "FIRST_NAME": "Riin", "LAST_NAME": "Rebane",
        "EMAIL_ADDRESS": "riin@acme.example", "TIMEZONE_ID": "FLE Standard Time",
        "ACTIVE": True}  # fmt: skip
SEEDED_CONTACTS = [
    {"FIRST_NAME": "Mart", "LAST_NAME": "Männik", "PHONE": "+16505550101"},
    {"FIRST_NAME": "Lee", "LAST_NAME": "Lepp", "PHONE": "+16505550102"},
]
EVENT_FIELDS = ("TITLE", "LOCATION", "START_DATE_UTC", "END_DATE_UTC", "ALL_DAY", "DETAILS",
                "OWNER_USER_ID", "REMINDER_DATE_UTC", "PUBLICLY_VISIBLE", "LINKS")  # fmt: skip


def _fail(status: int, message: str) -> HTTPFailure:
    return HTTPFailure(status, {"Message": message})


def _insightly_date(value: Any, name: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _fail(400, f"{name} is not a valid date: {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class InsightlyState:
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 318_000_000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for contact in SEEDED_CONTACTS:
            self.add_contact(dict(contact))

    def new_id(self) -> int:
        self.next_id += 17
        return self.next_id

    def add_contact(self, fields: dict[str, Any]) -> dict[str, Any]:
        contact = {"CONTACT_ID": self.new_id(), "FIRST_NAME": fields.get("FIRST_NAME") or "",
                   "LAST_NAME": fields.get("LAST_NAME") or "", "PHONE": fields.get("PHONE"),
                   "PHONE_MOBILE": None, "OWNER_USER_ID": USER["USER_ID"],
                   "DATE_CREATED_UTC": _now()}  # fmt: skip
        self.contacts[contact["CONTACT_ID"]] = contact
        return contact


class InsightlyCRM:
    def __init__(self, state: InsightlyState | None = None) -> None:
        self.state = state or InsightlyState()
        router = Router(before=self._authenticate)
        router.not_found = lambda path: {"Message": f"No HTTP resource was found at {path}"}
        router.add("GET", r"/v3.1/Users/Me", self._me)
        router.add("GET", r"/v3.1/Contacts/Search", self._search_contacts)
        router.add("POST", r"/v3.1/Contacts", self._add_contact)
        router.add("GET", r"/v3.1/Events", self._list_events)
        router.add("POST", r"/v3.1/Events", self._add_event)
        router.add("PUT", r"/v3.1/Events", self._update_event)
        router.add("GET", r"/v3.1/Events/(\d+)", self._get_event)
        router.add("DELETE", r"/v3.1/Events/(\d+)", self._delete_event)
        router.add("POST", r"/v3.1/Notes", self._add_note)
        router.add("GET", r"/v3.1/Notes/(\d+)", self._get_note)
        self.router = router

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.router(environ, start_response)

    def _authenticate(self, request: Request) -> None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            decoded = base64.b64decode(encoded).decode() if scheme == "Basic" else ""
        except ValueError:
            decoded = ""
        if decoded.split(":")[0] != API_KEY:
            raise _fail(401, "Authorization has been denied for this request.")

    def _me(self, request: Request) -> tuple[int, Json]:
        return 200, dict(USER)

    def _search_contacts(self, request: Request) -> tuple[int, Json]:
        name, value = request.query.get("field_name"), request.query.get("field_value", "")
        if name not in ("PHONE", "PHONE_MOBILE", "FIRST_NAME", "LAST_NAME", "EMAIL_ADDRESS"):
            raise _fail(400, f"field_name {name!r} is not searchable")
        with self.state.lock:
            found = [dict(c) for c in self.state.contacts.values() if c.get(name) == value]
        return 200, self._page(request, found)

    def _page(self, request: Request, items: list[Any]) -> list[Any]:
        skip, top = int(request.query.get("skip", "0")), int(request.query.get("top", "100"))
        if top > 500:
            raise _fail(400, "top must not exceed 500")
        return items[skip : skip + top]

    def _add_contact(self, request: Request) -> tuple[int, Json]:
        body = request.json()
        if not isinstance(body, dict) or not (body.get("FIRST_NAME") or body.get("LAST_NAME")):
            raise _fail(400, "FIRST_NAME or LAST_NAME is required")
        with self.state.lock:
            return 200, self.state.add_contact(body)

    def _event(self, event_id: int) -> dict[str, Any]:
        event = self.state.events.get(event_id)
        if event is None:
            raise _fail(404, f"Event {event_id} was not found")
        return event

    def _checked(self, body: Json, *, update: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _fail(400, "The request is invalid.")
        unknown = sorted(set(body) - set(EVENT_FIELDS) - ({"EVENT_ID"} if update else set()))
        if unknown:
            raise _fail(400, f"Unknown field(s): {', '.join(unknown)}")
        if not update and not body.get("TITLE"):
            raise _fail(400, "TITLE is required")
        fields = dict(body)
        for key in ("START_DATE_UTC", "END_DATE_UTC"):
            if key in fields:
                fields[key] = _insightly_date(fields[key], key)
        return fields

    def _add_event(self, request: Request) -> tuple[int, Json]:
        fields = self._checked(request.json(), update=False)
        with self.state.lock:
            event = {key: fields.get(key) for key in EVENT_FIELDS}
            event.update(EVENT_ID=self.state.new_id(), DATE_CREATED_UTC=_now(),
                         DATE_UPDATED_UTC=_now(), OWNER_USER_ID=USER["USER_ID"],
                         LINKS=fields.get("LINKS") or [])  # fmt: skip
            self.state.events[event["EVENT_ID"]] = event
            return 200, dict(event)

    def _update_event(self, request: Request) -> tuple[int, Json]:
        fields = self._checked(request.json(), update=True)
        event_id = fields.pop("EVENT_ID", None)
        if isinstance(event_id, str) and event_id.isdigit():
            event_id = int(event_id)  # Insightly's JSON binder takes numeric text
        if not isinstance(event_id, int):
            raise _fail(400, "EVENT_ID is required")
        with self.state.lock:
            event = self._event(event_id)
            event.update(fields)  # the fields given; the others stay
            event["DATE_UPDATED_UTC"] = _now()
            return 200, dict(event)

    def _get_event(self, request: Request, event_id: str) -> tuple[int, Json]:
        with self.state.lock:
            return 200, dict(self._event(int(event_id)))

    def _delete_event(self, request: Request, event_id: str) -> tuple[int, Json]:
        with self.state.lock:
            self._event(int(event_id))
            del self.state.events[int(event_id)]
        return 202, None

    def _list_events(self, request: Request) -> tuple[int, Json]:
        with self.state.lock:
            events = [dict(e) for e in self.state.events.values()]
        return 200, self._page(request, events)

    def _add_note(self, request: Request) -> tuple[int, Json]:
        body = request.json()
        if not isinstance(body, dict) or not body.get("TITLE"):
            raise _fail(400, "TITLE is required")
        with self.state.lock:
            note = {"NOTE_ID": self.state.new_id(), "TITLE": body["TITLE"],
                    "BODY": body.get("BODY"), "LINKS": body.get("LINKS") or [],
                    "DATE_CREATED_UTC": _now()}  # fmt: skip
            self.state.notes[note["NOTE_ID"]] = note
            return 200, dict(note)

    def _get_note(self, request: Request, note_id: str) -> tuple[int, Json]:
        note = self.state.notes.get(int(note_id))
        if note is None:
            raise _fail(404, f"Note {note_id} was not found")
        return 200, dict(note)

    def events(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(e) for e in self.state.events.values()]
