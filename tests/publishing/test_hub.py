import os
import socket
import subprocess
import sys

import pytest

pytest.importorskip("huggingface_hub")

from bench.files import BenchError  # noqa: E402
from bench.publishing.hub import check_repo_id, push  # noqa: E402
from bench.publishing.hub_export import MARKER  # noqa: E402

CARD = "---\npretty_name: A test\nlicense: mit\n---\n\n# A test\n"
SECRET = "hf_" + "s3cr3t" * 6


pytestmark = pytest.mark.usefixtures("no_network")


@pytest.fixture
def export(tmp_path):
    folder = tmp_path / "export"
    (folder / "topic").mkdir(parents=True)
    (folder / "README.md").write_text(CARD)
    (folder / "topic" / "en-00000-of-00001.parquet").write_bytes(b"PAR1")
    (folder / MARKER).write_text("written by the export\n")
    return folder


class FakeApi:
    """HfApi's two calls that push makes, recorded; `refusal` makes the upload fail as the Hub would."""

    calls: list = []
    refusal: Exception | None = None
    session_timeout = None  # the timeout of huggingface_hub's shared HTTP client while the upload runs

    def __init__(self, token):
        self.calls.append(("token", token))

    def create_repo(self, repo_id, **options):
        self.calls.append(("create_repo", repo_id, options))

    def upload_folder(self, **options):
        from huggingface_hub import get_session

        self.calls.append(("upload_folder", options))
        FakeApi.session_timeout = get_session().timeout
        if self.refusal:
            raise self.refusal
        return type("CommitInfo", (), {"commit_url": f"https://huggingface.co/datasets/{options['repo_id']}/commit/1"})()


@pytest.fixture
def hub(monkeypatch):
    """huggingface_hub with the fake HfApi, a token, and a card validation that stays offline."""
    import huggingface_hub

    FakeApi.calls, FakeApi.refusal, FakeApi.session_timeout = [], None, None
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: SECRET)
    validated = []
    monkeypatch.setattr(huggingface_hub.DatasetCard, "validate", lambda card, repo_type=None: validated.append(
        (card.data.pretty_name, repo_type)))
    return validated


@pytest.mark.parametrize("repo_id", ["deserter-bench", "someone/deserter-bench", "some-one/deserter_bench.v2"])
def test_check_repo_id_returns_an_id_the_hub_accepts(repo_id):
    assert check_repo_id(repo_id) == repo_id


@pytest.mark.parametrize("repo_id", ["bad id!!", "a/b/c", "someone/.x", "someone/x--", "", "someone/" + "x" * 97])
def test_check_repo_id_refuses_an_id_the_hub_would_refuse(repo_id):
    with pytest.raises(BenchError, match="invalid dataset repository id"):
        check_repo_id(repo_id)


def test_push_uploads_the_folder_in_one_commit_naming_the_project_commit(export, hub):
    url = push(export, "someone/deserter-bench", private=True, commit="abc123")
    assert url == "https://huggingface.co/datasets/someone/deserter-bench/commit/1"
    assert hub == [("A test", "dataset")], "the card is validated as a dataset card before the upload"
    token, create, upload = FakeApi.calls
    assert token == ("token", SECRET)
    assert create == ("create_repo", "someone/deserter-bench", {"repo_type": "dataset", "private": True,
                                                                 "exist_ok": True})
    options = upload[1]
    assert options["folder_path"] == str(export) and options["repo_type"] == "dataset"
    assert options["ignore_patterns"] == [MARKER], "the export's marker is never uploaded"
    assert options["commit_message"] == "Release deserter-bench data from commit abc123"


def test_push_without_a_token_stops_before_any_upload(export, hub, monkeypatch):
    import huggingface_hub
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    with pytest.raises(BenchError, match="no Hugging Face token: set HF_TOKEN or log in"):
        push(export, "someone/deserter-bench", private=False, commit="abc123")
    assert FakeApi.calls == [] and hub == []


def test_a_refused_upload_is_one_clear_error_that_hides_the_token(export, hub):
    FakeApi.refusal = RuntimeError(f"401 Unauthorized for token {SECRET}")
    with pytest.raises(BenchError) as raised:
        push(export, "someone/deserter-bench", private=False, commit="abc123")
    message = str(raised.value)
    assert "could not reach the Hugging Face Hub or it refused the upload" in message
    assert "RuntimeError: 401 Unauthorized for token ***" in message and SECRET not in message


def test_a_folder_without_a_card_is_refused_before_any_upload(export, hub):
    (export / "README.md").unlink()
    with pytest.raises(BenchError, match="could not reach the Hugging Face Hub or it refused the upload"):
        push(export, "someone/deserter-bench", private=False, commit="abc123")
    assert FakeApi.calls == []


def test_every_request_of_the_upload_waits_at_most_the_hubs_default_timeout(export, hub):
    from huggingface_hub import constants, get_session
    from huggingface_hub.utils import httpx
    push(export, "someone/deserter-bench", private=False, commit="abc123")
    assert FakeApi.session_timeout == httpx.Timeout(constants.HF_HUB_DOWNLOAD_TIMEOUT)
    assert get_session().timeout == httpx.Timeout(None), "huggingface_hub's own client is back afterwards"


def test_a_step_that_times_out_is_one_error_naming_the_hub_and_the_step(export, hub):
    from huggingface_hub import constants
    from huggingface_hub.utils import httpx
    FakeApi.refusal = httpx.ReadTimeout("The read operation timed out")
    with pytest.raises(BenchError) as raised:
        push(export, "someone/deserter-bench", private=False, commit="abc123")
    assert str(raised.value) == (f"push-hf: the Hub at {constants.ENDPOINT} did not answer within "
                                 f"{constants.HF_HUB_DOWNLOAD_TIMEOUT:g} s (uploading {export}); set "
                                 "HF_HUB_DOWNLOAD_TIMEOUT to wait longer")


@pytest.fixture
def silent_hub(free_port):
    """A server on 127.0.0.1 that accepts connections (the kernel does, into its backlog) and never answers; it is
    closed at the end of the test."""
    server = socket.socket()
    server.bind(("127.0.0.1", free_port()))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_push_to_a_hub_that_never_answers_stops_at_the_timeout_with_one_clear_line(export, silent_hub, repo, tmp_path):
    """The real command, in a process of its own: HF_ENDPOINT is read when huggingface_hub is imported."""
    environment = {**os.environ, "HF_ENDPOINT": silent_hub, "HF_HUB_DOWNLOAD_TIMEOUT": "1", "HF_TOKEN": SECRET,
                   "HF_HOME": str(tmp_path / "hf"), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
                   "PYTHONPATH": str(repo.root)}
    done = subprocess.run([sys.executable, "-m", "bench.cli", "--root", str(repo.root), "push-hf",
                           "someone/deserter-bench", "--folder", str(export)],
                          env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr and SECRET not in done.stderr
    assert (f"error: push-hf: the Hub at {silent_hub} did not answer within 1 s (checking the dataset card); set "
            "HF_HUB_DOWNLOAD_TIMEOUT to wait longer\n") in done.stderr
