"""The documented shapes of the interfaces' returns (ref §1), strictly typed: what the
contract probes of check-interfaces validate a connector's answers against."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Shape(BaseModel):
    # Extra keys are fine (App Connect passes them on); wrong types and missing keys are not.
    model_config = ConfigDict(extra="allow", strict=True)


class ReturnMessageShape(_Shape):
    message: str
    messageType: str
    ttl: int
    details: list[dict[str, Any]] | None = None


class PlatformUserInfoShape(_Shape):
    id: Annotated[str, Field(min_length=1)]
    name: str
    timezoneName: str | None = None
    timezoneOffset: str | int | None = None
    platformAdditionalInfo: dict[str, Any] | None = None


class UserInfoShape(_Shape):
    successful: bool
    platformUserInfo: PlatformUserInfoShape | None = None
    returnMessage: ReturnMessageShape | None = None


class ContactShape(_Shape):
    id: Annotated[str, Field(min_length=1)]
    name: str
    phone: str | None = None
    type: str | None = None


class FindContactShape(_Shape):
    successful: bool
    matchedContactInfo: list[ContactShape]
    returnMessage: ReturnMessageShape | None = None


class CallLogInfoShape(_Shape):
    subject: str
    note: str
    fullBody: str
    fullLogResponse: Any = None
    contactName: str | None = None


class GetCallLogShape(_Shape):
    callLogInfo: CallLogInfoShape
    returnMessage: ReturnMessageShape | None = None


class CreateCallLogShape(_Shape):
    logId: Annotated[str, Field(min_length=1)]
    # Optional upstream, but without it the extension shows the agent nothing: required here.
    returnMessage: ReturnMessageShape
    extraDataTracking: dict[str, Any] | None = None


class UpdateCallLogShape(_Shape):
    updatedNote: str | None = None
    returnMessage: ReturnMessageShape


class CRMUserShape(_Shape):
    id: Annotated[str, Field(min_length=1)]
    name: str
    email: str | None = None


_AUTH_TYPE: TypeAdapter[Any] = TypeAdapter(Literal["oauth", "apiKey"])
_TEXT: TypeAdapter[Any] = TypeAdapter(Annotated[str, Field(min_length=1, strict=True)])
_USER_LIST: TypeAdapter[Any] = TypeAdapter(list[CRMUserShape])


def _adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(model)


# --- the report ----------------------------------------------------------------------------


_USER_INFO = _adapter(UserInfoShape)
_FIND_CONTACT = _adapter(FindContactShape)
_GET_CALL_LOG = _adapter(GetCallLogShape)
_CREATE_CALL_LOG = _adapter(CreateCallLogShape)
_UPDATE_CALL_LOG = _adapter(UpdateCallLogShape)
