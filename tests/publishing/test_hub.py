import socket

import pytest

pytest.importorskip("huggingface_hub")

from bench.files import BenchError  # noqa: E402
from bench.publishing.hub import check_repo_id, push  # noqa: E402
from bench.publishing.hub_export import MARKER  # noqa: E402

CARD = "---\npretty_name: A test\nlicense: mit\n---\n\n# A test\n"
SECRET = "hf_" + "s3cr3t" * 6


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network use in a test that must not use the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


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

    def __init__(self, token):
        self.calls.append(("token", token))

    def create_repo(self, repo_id, **options):
        self.calls.append(("create_repo", repo_id, options))

    def upload_folder(self, **options):
        self.calls.append(("upload_folder", options))
        if self.refusal:
            raise self.refusal
        return type("CommitInfo", (), {"commit_url": f"https://huggingface.co/datasets/{options['repo_id']}/commit/1"})()


@pytest.fixture
def hub(monkeypatch):
    """huggingface_hub with the fake HfApi, a token, and a card validation that stays offline."""
    import huggingface_hub

    FakeApi.calls, FakeApi.refusal = [], None
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
