"""The ``profile`` stream item on the wire and the relay's reading of the platforms' profile
answers (Meta's User Profile API, LINE's Get profile), with no socket."""

from __future__ import annotations

import json

import pytest

from relay import profiles
from relay import protocol as p

CONV = "messenger:2233445566778899"


def test_a_profile_round_trips_with_and_without_a_picture() -> None:
    picture = p.Image("med_1", "https://relay.example/media/med_1", "image/jpeg")
    for item in (
        p.Profile(7, CONV, "สมหญิง ใจดี", None, picture),
        p.Profile(8, "instagram:17841400000000001", "Nok", "nok.lover", None),
        p.Profile(9, "line:U" + "a" * 32, "", None, None),
    ):
        assert p.decode_to_desktop(p.encode(item)) == item
    wire = json.loads(p.encode(p.Profile(7, CONV, "Mali", None, picture)))
    assert wire == {
        "type": "profile",
        "seq": 7,
        "conversation": CONV,
        "name": "Mali",
        "username": None,
        "picture": {
            "media_id": "med_1",
            "url": "https://relay.example/media/med_1",
            "mime": "image/jpeg",
        },
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"picture": "https://x.example/a.jpg"}, "picture: must be an object or null"),
        ({"picture": {"mime": "image/jpeg"}}, "picture.media_id: missing (or give url)"),
        ({"name": 5}, "name: must be a string"),
        ({"seq": 0}, "seq"),
    ],
)
def test_a_bad_profile_names_the_field(change: dict[str, object], message: str) -> None:
    obj = {"type": "profile", "seq": 3, "conversation": CONV, "name": "x", **change}
    with pytest.raises(p.ProtocolError) as err:
        p.decode_to_desktop(json.dumps(obj))
    assert message in str(err.value)


def test_each_platforms_answer_is_read_into_a_name_and_a_picture() -> None:
    pic = "https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=1"
    fb = {"first_name": "Somying", "last_name": "Jaidee", "profile_pic": pic, "id": "1"}
    assert profiles.read_profile("messenger", 200, fb) == profiles.Found(
        "Somying Jaidee", None, pic
    )
    ig = {"name": None, "username": "nok.lover", "id": "2"}
    assert profiles.read_profile("instagram", 200, ig) == profiles.Found(
        "nok.lover", "nok.lover", None
    )
    line = {"userId": "U1", "displayName": " ต้น  กล้า ", "pictureUrl": "javascript:alert(1)"}
    assert profiles.read_profile("line", 200, line) == profiles.Found("ต้น กล้า", None, None)


def test_an_error_answer_is_a_refusal_with_the_platforms_words() -> None:
    meta = {"error": {"message": "(#100) No profile available for this user.", "code": 100}}
    with pytest.raises(profiles.Refused, match="No profile available"):
        profiles.read_profile("messenger", 400, meta)
    with pytest.raises(profiles.Refused, match="http 404: Not found"):
        profiles.read_profile("line", 404, {"message": "Not found"})


def test_a_profile_is_due_when_never_fetched_or_a_week_old() -> None:
    now = 1_800_000_000.0
    assert profiles.due(None, now)
    assert not profiles.due(now - profiles.MAX_AGE + 60, now)
    assert profiles.due(now - profiles.MAX_AGE, now)
