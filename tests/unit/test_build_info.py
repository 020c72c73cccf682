"""What this copy of MiniChat says it is: the version from the package's metadata from a
checkout, the build's own facts when scripts/package wrote them, the release feed's address
from the build or the environment; ``minichat --version``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from minichat_desktop import build_info, cli
from minichat_desktop.embedded_relay import relay_command


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A build's facts module, as scripts/package writes it, importable for this test."""
    (tmp_path / "minichat_build_info.py").write_text(
        'VERSION = "7.1.0"\nBUILT = "2027-02-03"\nFEED_URL = "https://downloads.example/feed.json"\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "minichat_build_info", raising=False)
    monkeypatch.delenv(build_info.FEED_ENV, raising=False)
    yield
    sys.modules.pop("minichat_build_info", None)  # imported by the test: gone with its folder


def test_a_checkout_takes_the_version_from_the_package_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(build_info.FEED_ENV, raising=False)
    assert build_info.version() == metadata.version("minichat")
    assert (build_info.build_date(), build_info.release_feed_url()) == ("", "")
    assert not build_info.frozen()


@pytest.mark.usefixtures("built")
def test_a_build_says_what_scripts_package_wrote() -> None:
    assert build_info.version() == "7.1.0"
    assert build_info.build_date() == "2027-02-03"
    assert build_info.release_feed_url() == "https://downloads.example/feed.json"


@pytest.mark.usefixtures("built")
def test_the_environment_overrides_the_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(build_info.FEED_ENV, "http://127.0.0.1:9/feed.json")
    assert build_info.release_feed_url() == "http://127.0.0.1:9/feed.json"


def test_version_option_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"MiniChat {metadata.version('minichat')}\n"


@pytest.mark.usefixtures("built")
def test_version_option_of_a_build_adds_its_date(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out == "MiniChat 7.1.0 (built 2027-02-03)\n"


def test_from_a_checkout_the_relay_runs_as_a_python_module() -> None:
    assert relay_command() == [sys.executable, "-m", "relay"]
